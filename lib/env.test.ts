import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

describe("parseEnv", () => {
  it("applies defaults for a bare environment", () => {
    const env = parseEnv({});
    expect(env.CHAIN).toBe("local");
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("names the bad variable", () => {
    expect(() => parseEnv({ CHAIN: "mars" })).toThrow(/CHAIN/);
    expect(() => parseEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(() => parseEnv({ DIAMOND_ADDRESS: "0x12" })).toThrow(/DIAMOND_ADDRESS/);
  });

  it("reads per-model timeouts and refuses malformed ones, naming the entry", () => {
    expect(parseEnv({}).GATEWAY_MODEL_TIMEOUTS.size).toBe(0);
    const timeouts = parseEnv({ GATEWAY_MODEL_TIMEOUTS: " deepseek-r1=4m/2m , qwq-32b=300s,0xabc=1500ms" }).GATEWAY_MODEL_TIMEOUTS;
    expect([...timeouts]).toEqual([
      ["deepseek-r1", { firstByteMs: 240_000, idleMs: 120_000 }],
      ["qwq-32b", { firstByteMs: 300_000 }],
      ["0xabc", { firstByteMs: 1_500 }],
    ]);
    expect(() => parseEnv({ GATEWAY_MODEL_TIMEOUTS: "r1=10" })).toThrow(/GATEWAY_MODEL_TIMEOUTS: r1: "10" is not a duration/);
    expect(() => parseEnv({ GATEWAY_MODEL_TIMEOUTS: "=10s" })).toThrow(/must be model=duration/);
    expect(() => parseEnv({ GATEWAY_MODEL_TIMEOUTS: "r1=2h" })).toThrow(/not a duration/);
    expect(() => parseEnv({ GATEWAY_MODEL_TIMEOUTS: "r1=6m" })).toThrow(/outside 100ms..5m/);
    expect(() => parseEnv({ GATEWAY_MODEL_TIMEOUTS: "r1=1s/2s/3s" })).toThrow(/at most two durations/);
    expect(() => parseEnv({ GATEWAY_MODEL_TIMEOUTS: "r1=1s,r1=2s" })).toThrow(/listed twice/);
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ RPC_URL: "" }).RPC_URL).toBeUndefined();
  });
});

describe(".env.example", () => {
  it("documents every variable the app reads", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const root = path.resolve(import.meta.dirname, "..");
    const documented = fs.readFileSync(path.join(root, ".env.example"), "utf8");
    const read = Object.keys(parseEnv({})).filter((name) => name !== "NODE_ENV");
    // Optional variables without a default do not appear in parseEnv({}): list them from the source.
    const source = fs.readFileSync(path.join(root, "lib", "env.ts"), "utf8");
    const declared = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]).filter((name) => name !== "NODE_ENV");
    for (const name of new Set([...read, ...declared])) expect(documented, `${name} is missing from .env.example`).toMatch(new RegExp(`^${name}=`, "m"));
  });
});

describe("next.config.mjs", () => {
  // `next build`, `next start` and `next dev` all load the config first: a bad environment stops them there.
  const loadConfig = async (extra: Record<string, string>) => {
    const { spawnSync } = await import("node:child_process");
    const path = await import("node:path");
    const root = path.resolve(import.meta.dirname, "..");
    return spawnSync(process.execPath, ["--input-type=module", "-e", 'await import("./next.config.mjs")'], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "test", ...extra },
      encoding: "utf8",
    });
  };

  it("validates the environment when it loads", async () => {
    const bad = await loadConfig({ CHAIN: "mars" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/CHAIN: Invalid option/);
    const good = await loadConfig({ CHAIN: "base" });
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
  });
});
