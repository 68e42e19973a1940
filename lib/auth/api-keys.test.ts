// The API key format (prefix, alphabet, entropy, checksum), its hash, and input validation.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/db";
import { ApiKeyError, createApiKey, displayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey, revokeApiKey } from "./api-keys";

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const format = /^mor_sk_[0-9A-Za-z]{38}$/;

describe("generateApiKey", () => {
  it("makes mor_sk_ + 32 random + 6 checksum base62 characters that pass the checksum", () => {
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey();
      expect(key).toMatch(format);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
  });

  it("carries at least 128 random bits: each of the 32 random positions takes every base62 value", () => {
    // Over 4000 keys each value is expected ≈64 times per position (chance of a miss ≈ 62·e⁻⁶⁴):
    // a fixed, narrowed or repeated position would show here, and 32 free positions are 32·log2(62) ≈ 190 bits.
    const randomParts = Array.from({ length: 4000 }, () => generateApiKey().slice(7, 39));
    for (let position = 0; position < 32; position++) {
      const values = new Set(randomParts.map((random) => random[position]));
      expect(values.size, `position ${position}`).toBe(62);
    }
    // The checksum is not randomness: it is a function of the random part.
    expect(new Set(randomParts).size).toBe(randomParts.length);
  });

  it("draws every base62 character uniformly (no modulo bias) and never repeats a key", () => {
    const keys = Array.from({ length: 4000 }, generateApiKey);
    expect(new Set(keys).size).toBe(keys.length);
    const counts = new Map<string, number>();
    for (const key of keys) for (const char of key.slice(7, 39)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe([...base62].sort().join(""));
    // 128 000 draws: ≈2065 per character. A `byte % 62` without rejection would give the first
    // eight characters 5/256 instead of 4/256 of the draws (+23 %); chi-square catches any skew.
    const expected = (4000 * 32) / 62;
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(125); // 61 degrees of freedom: p < 1e-5 above this
    const firstEight = [...base62.slice(0, 8)].reduce((sum, char) => sum + counts.get(char)!, 0) / 8;
    expect(firstEight / expected).toBeGreaterThan(0.9);
    expect(firstEight / expected).toBeLessThan(1.1);
  });
});

describe("isWellFormedApiKey", () => {
  // Pinned: scanners and other implementations validate keys offline with this exact checksum.
  const pinned = "mor_sk_0123456789ABCDEFGHIJKLMNOPQRSTUV1ggZdL";

  it("accepts the pinned key: CRC32 of the random part, base62, zero-padded to 6", () => {
    expect(isWellFormedApiKey(pinned)).toBe(true);
  });

  it("rejects any single changed character, in the random part or the checksum", () => {
    const key = generateApiKey();
    for (let i = 7; i < key.length; i++) {
      const replacement = base62[(base62.indexOf(key[i]) + 1 + (i % 61)) % 62];
      const flipped = key.slice(0, i) + replacement + key.slice(i + 1);
      expect(isWellFormedApiKey(flipped), `position ${i}`).toBe(false);
    }
  });

  it("rejects other shapes", () => {
    const key = generateApiKey();
    for (const bad of ["", key.slice(0, -1), `${key}x`, key.replace("mor_sk_", "mor_pk_"), key.replace("mor_sk_", "MOR_SK_"), `${key.slice(0, 20)}-${key.slice(21)}`, ` ${key}`, "sk-" + "a".repeat(48)]) {
      expect(isWellFormedApiKey(bad), bad).toBe(false);
    }
  });
});

describe("hashApiKey and displayPrefix", () => {
  it("hashes with SHA-256 as lowercase hex", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const key = generateApiKey();
    expect(hashApiKey(key)).toBe(createHash("sha256").update(key).digest("hex"));
  });

  it("shows the first 12 characters: the product prefix and 5 random ones", () => {
    expect(displayPrefix("mor_sk_0123456789ABCDEFGHIJKLMNOPQRSTUV1ggZdL")).toBe("mor_sk_01234");
  });
});

describe("input validation (before any query)", () => {
  // Validation fails before the client is touched, so no database is needed.
  const noDb = new Proxy({}, { get: () => expect.unreachable("the database must not be reached") }) as Db;
  const owner = "0x" + "Ab".repeat(20);

  it.each([
    [{ owner: "0x1234", name: "ci" }, /owner must be a 0x-prefixed 20-byte hex address/],
    [{ owner, name: "" }, /name must not be empty/],
    [{ owner, name: "   " }, /name must not be empty/],
    [{ owner, name: "x".repeat(101) }, /name must be at most 100 characters/],
    [{ owner, name: "ci", rpmLimit: 0 }, /rpmLimit must be positive/],
    [{ owner, name: "ci", tpmLimit: -5 }, /tpmLimit must be positive/],
    [{ owner, name: "ci", rpmLimit: 1.5 }, /rpmLimit must be a whole number/],
    [{ owner, name: "ci", expiresAt: new Date(Date.now() - 1000) }, /expiresAt must be in the future/],
    [{ owner, name: "ci", allowedModels: ["llama", ""] }, /model ids must not be empty/],
    [{ owner, name: "ci", allowedModels: [42] }, /allowedModels/],
  ])("refuses %o", async (input, message) => {
    const error = await createApiKey(noDb, input as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiKeyError);
    expect((error as ApiKeyError).code).toBe("invalid_input");
    expect((error as ApiKeyError).message).toMatch(message);
  });

  it.each([[{ id: "not-a-uuid" }], [{ prefix: "mor_sk_" }], [{ prefix: "abc" }], [{ prefix: "mor_sk_%" }], [{ key: "mor_sk_nope" }]])(
    "refuses to revoke %o",
    async (target) => {
      await expect(revokeApiKey(noDb, target as never)).rejects.toMatchObject({ code: "invalid_input" });
    },
  );
});
