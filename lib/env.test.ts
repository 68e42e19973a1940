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
