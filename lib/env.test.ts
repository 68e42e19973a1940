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
