// The gateway's key verifier on a real database: cache hits cost no query, and a revocation made
// through another client (another gateway instance, the CLI) is refused within refreshMs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db";
import { createApiKey, generateApiKey, revokeApiKey } from "@/lib/auth/api-keys";
import { ApiKeyVerifier, type ApiKeyVerifierOptions } from "@/lib/auth/key-verifier";
import { alice, backends, countingPrismaClient, migratedDatabase, type CountingDb } from "./fixture";
import type { FreshDatabase } from "../db/backends";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  describe.skipIf(backend.skipReason)(`ApiKeyVerifier on ${backend.name}${backend.skipReason ? ` (skipped: ${backend.skipReason})` : ""}`, () => {
    let database: FreshDatabase;
    /** The gateway's client, counted. */
    let gateway: CountingDb;
    /** Another process: an admin, the CLI, another gateway instance. */
    let other: Db;
    let clock: number;
    const verifiers: ApiKeyVerifier[] = [];

    beforeAll(async () => {
      database = await migratedDatabase(backend);
      gateway = countingPrismaClient(database.url);
      other = createPrismaClient(database.url, { poolSize: 1 });
    });
    afterEach(async () => {
      await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
    });
    afterAll(async () => {
      await gateway?.close();
      await other?.$disconnect();
      await database?.drop();
    });

    /** A verifier on the gateway client with a hand-driven clock (unless `now` is given). */
    function verifier(options: ApiKeyVerifierOptions = {}): ApiKeyVerifier {
      clock = Date.now();
      const created = new ApiKeyVerifier(gateway.db, { refreshMs: 1000, now: () => clock, onBackgroundError: (error) => expect.unreachable(String(error)), ...options });
      verifiers.push(created);
      return created;
    }

    const newKey = (input: Partial<Parameters<typeof createApiKey>[1]> = {}) => createApiKey(other, { owner: alice, name: "test", ...input });

    it("authenticates a Bearer header or a bare key and returns the key's settings", async () => {
      const { key, apiKey } = await newKey({ name: "settings", allowedModels: ["llama-3"], rpmLimit: 10, tpmLimit: 1000 });
      const v = verifier();
      const expected = { id: apiKey.id, ownerAddress: alice, name: "settings", prefix: apiKey.prefix, allowedModels: ["llama-3"], rpmLimit: 10, tpmLimit: 1000, expiresAt: null };
      expect(await v.verify(`Bearer ${key}`)).toMatchObject(expected);
      expect(await v.verify(`bearer   ${key}  `)).toMatchObject(expected);
      expect(await v.verify(key)).toMatchObject(expected);
      const user = await other.user.findUniqueOrThrow({ where: { address: alice } });
      expect((await v.verify(key))?.userId).toBe(user.id);
    });

    it("answers cached keys without a single statement to the database", async () => {
      const { key } = await newKey();
      const v = verifier();
      expect(await v.verify(`Bearer ${key}`)).not.toBeNull();
      gateway.reset();
      for (let i = 0; i < 1000; i++) expect(await v.verify(`Bearer ${key}`)).not.toBeNull();
      expect(gateway.statements()).toBe(0);
    });

    it("makes concurrent first requests share one poll and one lookup", async () => {
      const { key } = await newKey();
      const v = verifier();
      gateway.reset();
      const results = await Promise.all(Array.from({ length: 50 }, () => v.verify(key)));
      expect(results.every((result) => result !== null)).toBe(true);
      expect(gateway.statements()).toBe(2);
    });

    it("refuses malformed credentials without touching the database", async () => {
      const { key } = await newKey();
      const v = verifier();
      gateway.reset();
      const flipped = key.slice(0, 20) + (key[20] === "a" ? "b" : "a") + key.slice(21);
      for (const credential of [undefined, null, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer sk-abc", `Bearer ${flipped}`, `${key}x`, `Bearer ${key} extra`]) {
        expect(await v.verify(credential), String(credential)).toBeNull();
      }
      expect(gateway.statements()).toBe(0);
    });

    it("remembers unknown keys: the second attempt costs no query", async () => {
      const v = verifier();
      const unknown = generateApiKey();
      expect(await v.verify(unknown)).toBeNull();
      gateway.reset();
      expect(await v.verify(unknown)).toBeNull();
      expect(gateway.statements()).toBe(0);
    });

    it("refuses a key revoked through another client once refreshMs has passed (hand-driven clock)", async () => {
      const { key, apiKey } = await newKey();
      const v = verifier({ refreshMs: 1000 });
      expect(await v.verify(key)).not.toBeNull();
      await revokeApiKey(other, { id: apiKey.id });
      // Still within refreshMs of the last poll: the cache may answer (and does, without a query).
      clock += 400;
      gateway.reset();
      expect(await v.verify(key)).not.toBeNull();
      expect(gateway.statements()).toBe(0);
      clock += 601;
      expect(await v.verify(key)).toBeNull();
      expect(gateway.statements()).toBe(1); // the change poll, nothing else
    });

    it("refuses a key revoked through another client within refreshMs (real clock)", async () => {
      const { key, apiKey } = await newKey();
      const refreshMs = 150;
      const v = verifier({ refreshMs, now: Date.now });
      // Keep the key hot, as under load, then revoke it elsewhere.
      for (let i = 0; i < 5; i++) expect(await v.verify(key)).not.toBeNull();
      await revokeApiKey(other, { id: apiKey.id });
      const committed = Date.now();
      await sleep(refreshMs - (Date.now() - committed) + 1);
      expect(await v.verify(key)).toBeNull();
    });

    it("sees a change committed late with an older updated_at (the overlap window)", async () => {
      const { key, apiKey } = await newKey();
      const v = verifier({ overlapMs: 10_000 });
      expect(await v.verify(key)).not.toBeNull();
      clock += 1001;
      expect(await v.verify(key)).not.toBeNull(); // a poll: its watermark is now after the update below
      // A writer whose clock lags (or whose transaction ran long): updated_at before the last poll.
      await other.$executeRaw`UPDATE api_keys SET revoked_at = now(), updated_at = now() - interval '5 seconds' WHERE id = ${apiKey.id}::uuid`;
      clock += 1001;
      expect(await v.verify(key)).toBeNull();
    });

    it("drops a key revoked through its own client at once, and re-polls on notifyChanged()", async () => {
      const { key, apiKey } = await newKey();
      const v = verifier({ refreshMs: 60_000 });
      expect(await v.verify(key)).not.toBeNull();
      await revokeApiKey(gateway.db, { id: apiKey.id });
      expect(await v.verify(key)).toBeNull();

      const second = await newKey();
      expect(await v.verify(second.key)).not.toBeNull();
      await other.apiKey.update({ where: { id: second.apiKey.id }, data: { rpmLimit: 7 } });
      v.notifyChanged();
      gateway.reset();
      expect(await v.verify(second.key)).toMatchObject({ rpmLimit: 7 });
      expect(gateway.statements()).toBe(1);
    });

    it("redoes a lookup that a poll showed to be stale (read before a revocation, answered after)", async () => {
      const { key, apiKey } = await newKey();
      // The key lookup reads the row, then is held before its answer reaches the verifier.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const lookupRead = new Promise<void>((resolve) => (reached = resolve));
      let holdNext = true;
      let polled!: () => void;
      const pollRead = new Promise<void>((resolve) => (polled = resolve));
      const slowDb = new Proxy(gateway.db, {
        get(target, property, receiver) {
          if (property !== "$queryRaw") return Reflect.get(target, property, receiver);
          return async (strings: TemplateStringsArray, ...values: unknown[]) => {
            const rows = await target.$queryRaw(strings, ...values);
            const sql = strings.join("");
            if (holdNext && sql.includes("WHERE k.hash")) {
              holdNext = false;
              reached();
              await held;
            } else if (!holdNext && sql.includes("polled_at")) {
              polled();
            }
            return rows;
          };
        },
      });
      clock = Date.now();
      const slow = new ApiKeyVerifier(slowDb, { refreshMs: 1000, now: () => clock });
      verifiers.push(slow);

      const first = slow.verify(key);
      await lookupRead; // it has read the key as valid
      await revokeApiKey(other, { id: apiKey.id });
      clock += 1001;
      const second = slow.verify(key); // polls (sees the revocation while the lookup is in flight), then joins the lookup
      await pollRead;
      await new Promise((resolve) => setImmediate(resolve)); // the verifier has applied the poll
      release();
      expect(await second).toBeNull();
      expect(await first).toBeNull();
      expect(await slow.verify(key)).toBeNull();
    });

    it("refuses expired keys", async () => {
      const expiresAt = new Date(Date.now() + 3_600_000);
      const { key } = await newKey({ expiresAt });
      const v = verifier();
      expect(await v.verify(key)).toMatchObject({ expiresAt });
      clock = expiresAt.getTime();
      expect(await v.verify(key)).toBeNull();

      const user = await other.user.findUniqueOrThrow({ where: { address: alice } });
      const past = generateApiKey();
      const { hashApiKey } = await import("@/lib/auth/api-keys");
      await other.apiKey.create({ data: { userId: user.id, name: "expired", prefix: past.slice(0, 12), hash: hashApiKey(past), expiresAt: new Date(Date.now() - 1000) } });
      expect(await verifier().verify(past)).toBeNull();
    });

    it("keeps at most maxEntries keys", async () => {
      const keys = await Promise.all([newKey(), newKey(), newKey()]);
      const v = verifier({ maxEntries: 2 });
      for (const { key } of keys) expect(await v.verify(key)).not.toBeNull();
      gateway.reset();
      expect(await v.verify(keys[2].key)).not.toBeNull();
      expect(gateway.statements()).toBe(0);
      expect(await v.verify(keys[0].key)).not.toBeNull(); // dropped: looked up again
      expect(gateway.statements()).toBe(1);
    });

    it("looks a cached answer up again after maxEntryAgeMs (how a deleted row is noticed)", async () => {
      const { key, apiKey } = await newKey();
      const unknown = generateApiKey();
      const v = verifier({ maxEntryAgeMs: 60_000, refreshMs: 1_000_000 });
      expect(await v.verify(key)).not.toBeNull();
      expect(await v.verify(unknown)).toBeNull();
      await other.apiKey.delete({ where: { id: apiKey.id } });
      clock += 59_000;
      gateway.reset();
      expect(await v.verify(key)).not.toBeNull(); // deleted, not revoked: nothing to poll
      expect(await v.verify(unknown)).toBeNull();
      expect(gateway.statements()).toBe(0);
      clock += 1_001;
      expect(await v.verify(key)).toBeNull();
      expect(await v.verify(unknown)).toBeNull();
      expect(gateway.statements()).toBe(2);
    });

    it("with refreshMs 0, polls before every request", async () => {
      const { key } = await newKey();
      const v = verifier({ refreshMs: 0, now: Date.now });
      expect(await v.verify(key)).not.toBeNull();
      gateway.reset();
      for (let i = 0; i < 5; i++) expect(await v.verify(key)).not.toBeNull();
      expect(gateway.statements()).toBe(5);
    });

    it("records lastUsedAt off the hot path, at most once a minute, without bumping updatedAt", async () => {
      const { key, apiKey } = await newKey();
      const v = verifier({ usageIntervalMs: 60_000 });
      const firstUse = clock;
      for (let i = 0; i < 10; i++) await v.verify(key);
      expect((await other.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt).toBeNull();
      const before = await other.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
      await v.flushUsage();
      const after = await other.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
      expect(after.lastUsedAt?.getTime()).toBe(firstUse);
      expect(after.updatedAt).toEqual(before.updatedAt);

      clock += 30_000;
      await v.verify(key);
      gateway.reset();
      await v.flushUsage();
      expect(gateway.statements()).toBe(0); // nothing new to write within the minute

      clock += 31_000;
      await v.verify(key);
      await v.close();
      expect((await other.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt?.getTime()).toBe(clock);
    });
  });
}

describe("ApiKeyVerifier without a database", () => {
  it("fails closed: rejects rather than trusting what it cannot refresh", async () => {
    const unreachable = createPrismaClient("postgres://postgres@127.0.0.1:1/postgres", { poolSize: 1 });
    const verifier = new ApiKeyVerifier(unreachable);
    try {
      await expect(verifier.verify(generateApiKey())).rejects.toThrow();
      expect(await verifier.verify("Bearer not-a-key")).toBeNull();
    } finally {
      await verifier.close();
      await unreachable.$disconnect();
    }
  });
});
