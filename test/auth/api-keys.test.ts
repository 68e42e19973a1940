// Creating, listing and revoking API keys on a real database (PGlite, and PostgreSQL with TEST_POSTGRES_URL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db";
import { createApiKey, displayPrefix, maxActiveApiKeysPerUser, hashApiKey, isWellFormedApiKey, listApiKeys, playgroundKeyId, recordApiKeysUsed, revokeApiKey } from "@/lib/auth/api-keys";
import { alice, backends, bob, migratedDatabase } from "./fixture";
import type { FreshDatabase } from "../db/backends";

for (const backend of backends) {
  describe.skipIf(backend.skipReason)(`API keys on ${backend.name}${backend.skipReason ? ` (skipped: ${backend.skipReason})` : ""}`, () => {
    let database: FreshDatabase;
    let db: Db;
    beforeAll(async () => {
      database = await migratedDatabase(backend);
      db = createPrismaClient(database.url, { poolSize: 1 });
    });
    afterAll(async () => {
      await db?.$disconnect();
      await database?.drop();
    });

    it("creates a key: returns the plaintext once, stores only its hash and display prefix", async () => {
      const owner = alice.toUpperCase().replace("0X", "0x");
      const expiresAt = new Date(Date.now() + 86_400_000);
      const { key, apiKey } = await createApiKey(db, { owner, name: "  ci runner ", expiresAt, allowedModels: ["llama-3", "llama-3", "qwen"], rpmLimit: 60, tpmLimit: 5000 });
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(apiKey).toMatchObject({ name: "ci runner", ownerAddress: alice, prefix: displayPrefix(key), expiresAt, revokedAt: null, lastUsedAt: null, allowedModels: ["llama-3", "qwen"], rpmLimit: 60, tpmLimit: 5000 });
      expect(apiKey).not.toHaveProperty("hash");

      const row = await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id }, include: { user: true } });
      expect(row.hash).toBe(hashApiKey(key));
      expect(row.prefix).toBe(key.slice(0, 12));
      expect(row.user.address).toBe(alice);
      const stored = JSON.stringify(await db.apiKey.findMany());
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(12));
    });

    it("reuses the owner's user, matched case-insensitively", async () => {
      await createApiKey(db, { owner: alice, name: "second" });
      await createApiKey(db, { owner: bob, name: "bob's" });
      expect(await db.user.count({ where: { address: alice } })).toBe(1);
    });

    it("lists keys newest first without hashes, optionally for one owner", async () => {
      const all = await listApiKeys(db);
      expect(all.map((key) => key.name)).toEqual(["bob's", "second", "ci runner"]);
      for (const key of all) expect(Object.keys(key)).not.toContain("hash");
      expect((await listApiKeys(db, { owner: alice.toUpperCase().replace("0X", "0x") })).map((key) => key.name)).toEqual(["second", "ci runner"]);
      expect(await listApiKeys(db, { owner: "0x" + "00".repeat(20) })).toEqual([]);
    });

    it("revokes by id, by display prefix and by the key itself; revoking again changes nothing", async () => {
      const byId = await createApiKey(db, { owner: alice, name: "by id" });
      const byPrefix = await createApiKey(db, { owner: alice, name: "by prefix" });
      const byKey = await createApiKey(db, { owner: alice, name: "by key" });

      const revoked = await revokeApiKey(db, { id: byId.apiKey.id });
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      expect((await revokeApiKey(db, { prefix: byPrefix.apiKey.prefix })).name).toBe("by prefix");
      expect((await revokeApiKey(db, { key: byKey.key })).name).toBe("by key");

      const before = await db.apiKey.findUniqueOrThrow({ where: { id: byId.apiKey.id } });
      const again = await revokeApiKey(db, { id: byId.apiKey.id });
      expect(again.revokedAt).toEqual(revoked.revokedAt);
      expect((await db.apiKey.findUniqueOrThrow({ where: { id: byId.apiKey.id } })).updatedAt).toEqual(before.updatedAt);
    });

    it("bumps updatedAt on revocation (what gateway caches poll)", async () => {
      const { apiKey } = await createApiKey(db, { owner: alice, name: "bump" });
      const before = await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await revokeApiKey(db, { id: apiKey.id });
      const after = await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
      expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    });

    it("refuses an ambiguous prefix, and a missing key", async () => {
      const user = await db.user.findUniqueOrThrow({ where: { address: bob } });
      // Two keys whose display prefixes share a start (the random part is random: set them by hand).
      await db.apiKey.createMany({
        data: [
          { userId: user.id, name: "twin 1", prefix: "mor_sk_Zz001", hash: "1".repeat(64) },
          { userId: user.id, name: "twin 2", prefix: "mor_sk_Zz002", hash: "2".repeat(64) },
        ],
      });
      await expect(revokeApiKey(db, { prefix: "mor_sk_Zz00" })).rejects.toMatchObject({ code: "ambiguous_prefix" });
      expect((await revokeApiKey(db, { prefix: "mor_sk_Zz002" })).name).toBe("twin 2");
      await expect(revokeApiKey(db, { prefix: "mor_sk_Yy" })).rejects.toMatchObject({ code: "not_found" });
      await expect(revokeApiKey(db, { id: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found" });
    });

    it("scoped to an owner, cannot revoke (or detect) another wallet's key", async () => {
      const { apiKey } = await createApiKey(db, { owner: bob, name: "bob only" });
      await expect(revokeApiKey(db, { id: apiKey.id }, { owner: alice })).rejects.toMatchObject({ code: "not_found", message: "no such API key" });
      await expect(revokeApiKey(db, { prefix: apiKey.prefix }, { owner: alice })).rejects.toMatchObject({ code: "not_found" });
      expect((await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).revokedAt).toBeNull();
      expect((await revokeApiKey(db, { id: apiKey.id }, { owner: bob.toUpperCase().replace("0X", "0x") })).revokedAt).toBeInstanceOf(Date);
    });

    it("records uses in bulk without touching updatedAt, never moving lastUsedAt back", async () => {
      const a = await createApiKey(db, { owner: alice, name: "used a" });
      const b = await createApiKey(db, { owner: alice, name: "used b" });
      const before = await db.apiKey.findUniqueOrThrow({ where: { id: a.apiKey.id } });
      const at = new Date("2030-01-01T00:00:00.123Z");
      await recordApiKeysUsed(db, [
        { id: a.apiKey.id, at },
        { id: b.apiKey.id, at },
      ]);
      await recordApiKeysUsed(db, [{ id: a.apiKey.id, at: new Date("2029-01-01T00:00:00Z") }]);
      const after = await db.apiKey.findUniqueOrThrow({ where: { id: a.apiKey.id } });
      expect(after.lastUsedAt).toEqual(at);
      expect(after.updatedAt).toEqual(before.updatedAt);
      expect((await db.apiKey.findUniqueOrThrow({ where: { id: b.apiKey.id } })).lastUsedAt).toEqual(at);
    });

    it(`caps a wallet at ${maxActiveApiKeysPerUser} active keys (concurrent creates included); revoked and expired keys free room`, async () => {
      const dave = `0x${"d".repeat(40)}`;
      const expiring = await createApiKey(db, { owner: dave, name: "expiring", expiresAt: new Date(Date.now() + 3600_000) });
      for (let i = 1; i < maxActiveApiKeysPerUser - 2; i++) await createApiKey(db, { owner: dave, name: `key ${i}` });
      // Two slots left: four creates at once, exactly two succeed.
      const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => createApiKey(db, { owner: dave, name: `race ${i}` })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      for (const r of results.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "limit_reached" });
      const [newest] = await listApiKeys(db, { owner: dave });
      await revokeApiKey(db, { id: newest.id }, { owner: dave });
      await createApiKey(db, { owner: dave, name: "after a revoke" });
      await expect(createApiKey(db, { owner: dave, name: "one too many" })).rejects.toMatchObject({ code: "limit_reached" });
      // The playground key is not an API key and does not count.
      const user = await db.user.findUniqueOrThrow({ where: { address: dave } });
      await playgroundKeyId(db, user.id);
      await expect(createApiKey(db, { owner: dave, name: "still too many" })).rejects.toMatchObject({ code: "limit_reached" });
      await db.apiKey.update({ where: { id: expiring.apiKey.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      await createApiKey(db, { owner: dave, name: "after an expiry" });
    });

    it("a user's playground key: one per user, never listed, not revocable as an API key, its secret never issued", async () => {
      const carol = `0x${"c".repeat(40)}`;
      const { apiKey } = await createApiKey(db, { owner: carol, name: "for the playground test" });
      const user = await db.user.findUniqueOrThrow({ where: { address: carol } });
      const id = await playgroundKeyId(db, user.id);
      expect(await playgroundKeyId(db, user.id)).toBe(id);
      expect(await db.apiKey.count({ where: { userId: user.id, kind: "playground" } })).toBe(1);
      const listed = await listApiKeys(db, { owner: carol });
      expect(listed.map((k) => k.id)).toEqual([apiKey.id]);
      await expect(revokeApiKey(db, { id }, { owner: carol })).rejects.toMatchObject({ code: "not_found" });
      const row = await db.apiKey.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ kind: "playground", name: "playground", revokedAt: null });
    });
  });
}
