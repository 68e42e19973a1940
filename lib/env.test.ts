import { describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "./chain/anvil";
import { assertWebAppEnv, parseEnv, WELL_KNOWN_DEV_KEYS } from "./env";

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

  it("reads TRUST_PROXY_HOPS: 0 unless set, a small whole number of proxies", () => {
    expect(parseEnv({}).TRUST_PROXY_HOPS).toBe(0);
    expect(parseEnv({ TRUST_PROXY_HOPS: "2" }).TRUST_PROXY_HOPS).toBe(2);
    for (const bad of ["-1", "1.5", "11", "yes"]) expect(() => parseEnv({ TRUST_PROXY_HOPS: bad }), bad).toThrow(/TRUST_PROXY_HOPS/);
  });

  it("bounds the rate-limit sync interval and the provider's connection caps", () => {
    expect(parseEnv({})).toMatchObject({ GATEWAY_RATE_LIMIT_SYNC_MS: 1000, PROVIDER_MAX_CONNECTIONS: 1024, PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: 32 });
    expect(parseEnv({ PROVIDER_MAX_CONNECTIONS: "4096", PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: "1024" })).toMatchObject({
      PROVIDER_MAX_CONNECTIONS: 4096,
      PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: 1024,
    });
    expect(() => parseEnv({ GATEWAY_RATE_LIMIT_SYNC_MS: "10" })).toThrow(/GATEWAY_RATE_LIMIT_SYNC_MS/);
    expect(() => parseEnv({ PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: "0" })).toThrow(/PROVIDER_MAX_CONNECTIONS_PER_ADDRESS/);
    expect(() => parseEnv({ PROVIDER_MAX_CONNECTIONS: "lots" })).toThrow(/PROVIDER_MAX_CONNECTIONS/);
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ RPC_URL: "" }).RPC_URL).toBeUndefined();
  });
});

describe("what must not run on a real chain", () => {
  const ownKey = `0x${"1".repeat(64)}`;

  it("knows every anvil development key", () => {
    expect(WELL_KNOWN_DEV_KEYS).toEqual(devAccounts.map((a) => devPrivateKey(a).toLowerCase()));
  });

  it("refuses anvil's well-known keys as GATEWAY_PRIVATE_KEY or PROVIDER_PRIVATE_KEY when CHAIN is not local", () => {
    const anvilKey = devPrivateKey(devAccounts[2]);
    expect(() => parseEnv({ CHAIN: "base", GATEWAY_PRIVATE_KEY: anvilKey })).toThrow(/GATEWAY_PRIVATE_KEY: is one of anvil's well-known development keys/);
    expect(() => parseEnv({ CHAIN: "arbitrum", PROVIDER_PRIVATE_KEY: anvilKey.toUpperCase().replace("0X", "0x") })).toThrow(/PROVIDER_PRIVATE_KEY: is one of anvil's/);
    expect(parseEnv({ CHAIN: "local", GATEWAY_PRIVATE_KEY: anvilKey }).GATEWAY_PRIVATE_KEY).toBe(anvilKey.toLowerCase());
    expect(parseEnv({ CHAIN: "base", GATEWAY_PRIVATE_KEY: ownKey }).GATEWAY_PRIVATE_KEY).toBe(ownKey);
  });

  it("refuses direct payment on a non-local chain without a provider allow-list or a price cap", () => {
    expect(() => parseEnv({ CHAIN: "base", GATEWAY_DIRECT_PAYMENT: "true" })).toThrow(/GATEWAY_DIRECT_PAYMENT: direct payment pays any price/);
    expect(parseEnv({ CHAIN: "base", GATEWAY_DIRECT_PAYMENT: "true", GATEWAY_MAX_PRICE_PER_HOUR: "0.5" }).GATEWAY_MAX_PRICE_PER_HOUR).toBe(5n * 10n ** 17n);
    expect(parseEnv({ CHAIN: "base", GATEWAY_DIRECT_PAYMENT: "true", GATEWAY_PROVIDER_ALLOWLIST: devAccounts[3].address }).GATEWAY_DIRECT_PAYMENT).toBe(true);
    expect(parseEnv({ CHAIN: "local", GATEWAY_DIRECT_PAYMENT: "true" }).GATEWAY_DIRECT_PAYMENT).toBe(true);
  });

  it("the web app refuses a real chain without APP_ORIGIN: wallet sign-in would take its domain from a Host header any client can set", () => {
    expect(() => assertWebAppEnv(parseEnv({ CHAIN: "base" }))).toThrow(/APP_ORIGIN: must be set on CHAIN=base/);
    expect(() => assertWebAppEnv(parseEnv({ CHAIN: "base", APP_ORIGIN: "https://portal.example" }))).not.toThrow();
    expect(() => assertWebAppEnv(parseEnv({}))).not.toThrow(); // the local chain
  });

  it("reads the spending caps as MOR amounts", () => {
    expect(parseEnv({ GATEWAY_MAX_STAKE_PER_SESSION: "2", GATEWAY_MAX_TOTAL_STAKE: "10.25" })).toMatchObject({ GATEWAY_MAX_STAKE_PER_SESSION: 2n * 10n ** 18n, GATEWAY_MAX_TOTAL_STAKE: 1025n * 10n ** 16n });
    expect(() => parseEnv({ GATEWAY_MAX_TOTAL_STAKE: "-1" })).toThrow(/GATEWAY_MAX_TOTAL_STAKE: must be an amount of MOR/);
    expect(() => parseEnv({ GATEWAY_MAX_PRICE_PER_HOUR: "1e3" })).toThrow(/GATEWAY_MAX_PRICE_PER_HOUR/);
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
    // Only the reason, not a dump of the transpiled module around the throw.
    expect(bad.stderr.length).toBeLessThan(600);
    const noOrigin = await loadConfig({ CHAIN: "base" });
    expect(noOrigin.status).not.toBe(0);
    expect(noOrigin.stderr).toMatch(/APP_ORIGIN: must be set on CHAIN=base/);
    const good = await loadConfig({ CHAIN: "base", APP_ORIGIN: "https://portal.example" });
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
  });
});
