import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { chainNow, ServedSessions, type ServedSession } from "./sessions";

const modelA = `0x${"aa".repeat(32)}` as Hex;
const modelB = `0x${"bb".repeat(32)}` as Hex;
const T0 = Date.now();

function served(i: number, { modelId = modelA, endsIn = 600n, closed = false } = {}): ServedSession {
  return {
    id: `0x${i.toString(16).padStart(64, "0")}`,
    user: `0x${"11".repeat(20)}` as Address,
    bidId: `0x${"22".repeat(32)}`,
    modelId,
    endsAt: 5_000n + endsIn,
    closed,
    chainTime: 5_000n,
    readAtMs: T0,
  };
}

describe("ServedSessions", () => {
  it("extrapolates chain time from the read", () => {
    expect(chainNow(served(1), T0 + 61_500)).toBe(5_061n);
  });

  it("counts one model's running sessions: closed and expired ones do not count", () => {
    const sessions = new ServedSessions();
    sessions.put(served(1));
    sessions.put(served(2, { endsIn: 10n }));
    sessions.put(served(3, { modelId: modelB }));
    sessions.put(served(4));
    sessions.markClosed(served(4).id);
    expect(sessions.countRunning(modelA, undefined, T0)).toBe(2);
    expect(sessions.countRunning(modelA, undefined, T0 + 10_000)).toBe(1); // session 2 ended by chain time
    expect(sessions.countRunning(modelA, (s) => s.id !== served(1).id, T0)).toBe(1);
    expect(sessions.countRunning(modelB, undefined, T0)).toBe(1);
  });

  it("prune() drops closed and expired sessions, and only those", () => {
    const sessions = new ServedSessions();
    sessions.put(served(1));
    sessions.put(served(2, { endsIn: 10n }));
    sessions.put(served(3, { closed: true }));
    expect(sessions.prune(T0 + 10_000)).toBe(2);
    expect(sessions.size).toBe(1);
    expect(sessions.get(served(1).id)).toBeDefined();
  });

  it("never holds more than maxEntries: ended sessions go first, then the oldest reads", () => {
    const sessions = new ServedSessions(3);
    sessions.put(served(1));
    sessions.put(served(2, { closed: true }));
    sessions.put(served(3));
    sessions.put(served(4)); // full: the closed one goes
    expect([1, 2, 3, 4].map((i) => sessions.get(served(i).id) !== undefined)).toEqual([true, false, true, true]);
    sessions.put(served(1)); // read again: now the newest
    sessions.put(served(5)); // full, nothing ended: the oldest read (3) goes
    expect([1, 3, 4, 5].map((i) => sessions.get(served(i).id) !== undefined)).toEqual([true, false, true, true]);
    expect(sessions.size).toBe(3);
    expect(sessions.countRunning(modelA, undefined, T0)).toBe(3);
  });
});
