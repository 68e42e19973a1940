// The provider's saved state: bounded (old user keys and session usage pruned, user keys capped)
// and written off the event loop, atomically (temp file + rename), coalesced.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Address, Hex } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProviderState } from "./state";

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function stateFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-state-"));
  dirs.push(dir);
  return path.join(dir, "nested", "state.json");
}

const user = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;
const key = (i: number) => `0x04${i.toString(16).padStart(128, "0")}` as Hex;
const session = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;
const prompt = { ttftMs: 100, durationMs: 2_000, inputTokens: 10, outputTokens: 20 };

describe("ProviderState", () => {
  it("writes asynchronously and atomically, one write for a burst of changes, and reloads it", async () => {
    const file = stateFile();
    const writeFileSync = vi.spyOn(fs, "writeFileSync");
    const renameSync = vi.spyOn(fs, "renameSync");
    const rename = vi.spyOn(fs.promises, "rename");
    const state = new ProviderState(file);
    for (let i = 1; i <= 50; i++) {
      state.setUserKey(user(i), key(i));
      state.recordPrompt(session(i), prompt);
    }
    await state.flush();
    expect(writeFileSync).not.toHaveBeenCalled();
    expect(renameSync).not.toHaveBeenCalled();
    expect(rename).toHaveBeenCalledTimes(1);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["state.json"]); // no temp file left behind

    const reloaded = new ProviderState(file);
    expect(reloaded.userKey(user(50))).toBe(key(50));
    expect(reloaded.sessionUsage(session(7))).toMatchObject({ prompts: 1, inputTokens: 10, outputTokens: 20 });
  });

  it("changes made while a write is in flight are written by the next flush", async () => {
    const file = stateFile();
    const state = new ProviderState(file);
    state.setUserKey(user(1), key(1));
    const first = state.flush();
    state.setUserKey(user(2), key(2));
    await first;
    await state.flush();
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { userKeys: Record<string, unknown> };
    expect(Object.keys(saved.userKeys).sort()).toEqual([user(1), user(2)]);
  });

  it("forgets user keys and session usage idle for longer than the retention", async () => {
    let now = 1_000_000;
    const state = new ProviderState(stateFile(), { retentionMs: 60_000, now: () => now });
    state.setUserKey(user(1), key(1));
    state.recordPrompt(session(1), prompt);
    now += 30_000;
    state.setUserKey(user(2), key(2));
    state.recordPrompt(session(2), prompt);
    now += 40_000; // user 1 and session 1: 70 s idle; user 2 and session 2: 40 s
    await state.flush();
    expect(state.userKey(user(1))).toBeUndefined();
    expect(state.sessionUsage(session(1))).toBeUndefined();
    expect(state.userKey(user(2))).toBe(key(2));
    expect(state.sessionUsage(session(2))).toBeDefined();
  });

  it("holds at most maxUserKeys keys, dropping the longest unused first", () => {
    const state = new ProviderState(undefined, { maxUserKeys: 3 });
    for (let i = 1; i <= 4; i++) state.setUserKey(user(i), key(i));
    state.setUserKey(user(2), key(22)); // used again: now the newest
    state.setUserKey(user(5), key(5));
    expect([1, 2, 3, 4, 5].map((i) => state.userKey(user(i)))).toEqual([undefined, key(22), undefined, key(4), key(5)]);
  });

  it("a failed write is reported, not thrown, and retried by the next flush", async () => {
    const file = stateFile();
    const errors: unknown[] = [];
    const state = new ProviderState(file, { onWriteError: (error) => errors.push(error) });
    fs.mkdirSync(file, { recursive: true }); // a directory where the file should go: the rename fails
    state.setUserKey(user(1), key(1));
    await state.flush();
    expect(errors).toHaveLength(1);
    fs.rmSync(file, { recursive: true });
    await state.flush();
    expect(new ProviderState(file).userKey(user(1))).toBe(key(1));
  });
});
