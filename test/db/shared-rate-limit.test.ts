// Per-key rate limits shared by gateway instances through the app's database (rate-limiter-flexible's
// Prisma store), on embedded PGlite and (with TEST_POSTGRES_URL) a real PostgreSQL: several
// RateLimiter instances on one database, a hand-driven clock, and syncs called where the timer
// would call them.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { databaseCounterStore, RateLimiter } from "@/lib/gateway/rate-limit";
import { Cleanup, startSwitchableProxy } from "../gateway/fixture";
import { backends, pgliteBackend } from "./backends";

const SYNC_MS = 1000;

/** A clock on a 10-second slot boundary + 3 s, near the real time (the store's rows expire in real time). */
function clockNearNow() {
  return { now: Math.floor(Date.now() / 10_000) * 10_000 + 3_000 };
}

function instance(db: Db, clock: { now: number }, logs: string[] = []) {
  return new RateLimiter({
    defaultRpm: 0,
    defaultTpm: 0,
    now: () => clock.now,
    shared: { store: databaseCounterStore(db), syncMs: SYNC_MS, log: { info: (m) => logs.push(`info: ${m}`), error: (m) => logs.push(`error: ${m}`) } },
  });
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason)(`rate limits shared through ${backend.name}${backend.skipReason ? ` (skipped: ${backend.skipReason})` : ""}`, () => {
    const cleanup = new Cleanup();
    let url: string;
    let db: Db;

    beforeAll(async () => {
      const fresh = await backend.fresh();
      cleanup.add(() => fresh.drop());
      await applyMigrations(fresh.url);
      url = fresh.url;
      db = createPrismaClient(fresh.url, { poolSize: backend === pgliteBackend ? 1 : 4 });
      cleanup.add(() => db.$disconnect());
    });
    afterAll(() => cleanup.run());

    it("two instances admit together no more than the limit plus what they admit within two sync intervals", async () => {
      const clock = clockNearNow();
      const start = clock.now;
      const [a, b] = [instance(db, clock), instance(db, clock)];
      const key = `key-${randomUUID()}`;
      const limit = 100;
      const ratePerInstance = 10; // requests a second each, 20 together: the limit is reached in ~5 s
      const admitted: number[] = [];
      // 90 s in steps of 100 ms: each instance gets a request per step, and syncs once a second (B half a second after A).
      for (let t = 0; t < 90_000; t += 100) {
        clock.now = start + t;
        for (const limiter of [a, b]) if (limiter.check(key, { rpmLimit: limit, tpmLimit: null }).allowed) admitted.push(t);
        if (t % SYNC_MS === 0) await a.sync();
        if (t % SYNC_MS === SYNC_MS / 2) await b.sync();
      }
      // Without sharing each would admit the limit: 200 in the first minute.
      const bound = 2 * ratePerInstance * ((2 * SYNC_MS) / 1000);
      const inFirstMinute = admitted.filter((t) => t < 60_000).length;
      expect(inFirstMinute).toBeGreaterThanOrEqual(limit);
      expect(inFirstMinute).toBeLessThanOrEqual(limit + bound);
      // And in any 60 s span (the window slides: the first ones leave it after a minute, then more are admitted).
      for (let i = 0; i < admitted.length; i++) {
        const inSpan = admitted.filter((t) => t >= admitted[i] && t < admitted[i] + 60_000).length;
        expect(inSpan).toBeLessThanOrEqual(limit + bound);
      }
      expect(admitted.filter((t) => t >= 60_000).length).toBeGreaterThan(0);
    });

    it("an instance refuses a key the others used up once it has synced, with the rate limit headers and Retry-After", async () => {
      const clock = clockNearNow();
      const [a, b] = [instance(db, clock), instance(db, clock)];
      const key = `key-${randomUUID()}`;
      const limits = { rpmLimit: 10, tpmLimit: 1000 };
      for (let i = 0; i < 10; i++) expect(a.check(key, limits).allowed).toBe(true);
      a.recordTokens(key, 400);
      await a.sync();
      clock.now += 1000;
      // B has not served this key before: it counts on its own until its first sync (the documented lag).
      expect(b.check(key, limits).allowed).toBe(true);
      await b.sync();
      const refused = b.check(key, limits);
      expect(refused).toMatchObject({ allowed: false, limitedBy: "requests" });
      expect(refused.headers).toMatchObject({
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "600", // A's 400 tokens
      });
      // A's ten leave the window 60-70 s after their slot began (3 s before they were made); B's own one at 61 s.
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(55);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(61);
      // A learns of B's request too: the key's total is 11, one over (the lag above).
      await a.sync();
      expect(a.check(key, limits).headers["x-ratelimit-remaining-requests"]).toBe("0");
      clock.now += 60_000; // A's ten and B's one have left the window
      expect(b.check(key, limits).allowed).toBe(true);
      expect(a.check(key, limits).allowed).toBe(true);
    });

    it("shares the tokens of a response that outlived its key's window on this instance", async () => {
      const clock = clockNearNow();
      const [a, b] = [instance(db, clock), instance(db, clock)];
      const key = `key-${randomUUID()}`;
      const limits = { rpmLimit: null, tpmLimit: 1000 };
      expect(a.check(key, limits).allowed).toBe(true); // a long stream starts
      clock.now += 70_000;
      a.check(`other-${randomUUID()}`, limits); // meanwhile the idle key's window is dropped
      a.recordTokens(key, 500); // the stream ends
      await a.sync();
      expect(b.check(key, limits).allowed).toBe(true);
      await b.sync();
      expect(b.check(key, limits).headers["x-ratelimit-remaining-tokens"]).toBe("500");
    });

    it("keeps deciding on its own counts while the database is unreachable, logs it once, and sends its counts once it answers", async () => {
      const proxy = await startSwitchableProxy(cleanup, `127.0.0.1:${new URL(url).port}`);
      const viaProxy = new URL(url);
      viaProxy.host = proxy.endpoint;
      const proxiedDb = createPrismaClient(viaProxy.toString(), { poolSize: 1 });
      cleanup.add(() => proxiedDb.$disconnect());
      const clock = clockNearNow();
      const logs: string[] = [];
      const [a, b] = [instance(proxiedDb, clock, logs), instance(db, clock)];
      const key = `key-${randomUUID()}`;
      const limits = { rpmLimit: 10, tpmLimit: null };

      proxy.up = false;
      proxy.dropConnections();
      for (let i = 0; i < 6; i++) expect(a.check(key, limits).allowed).toBe(true);
      await a.sync();
      clock.now += 1000;
      await a.sync();
      expect(logs.filter((line) => line.startsWith("error: rate limits: the shared counters are unreachable"))).toHaveLength(1);
      // Still exact on its own: 4 more, then refused.
      for (let i = 0; i < 4; i++) expect(a.check(key, limits).allowed).toBe(true);
      expect(a.check(key, limits).allowed).toBe(false);

      proxy.up = true;
      await a.sync();
      expect(logs.at(-1)).toBe("info: rate limits: the shared counters answer again");
      expect(b.check(key, limits).allowed).toBe(true); // B's first request of the key: not seen yet
      await b.sync();
      expect(b.check(key, limits)).toMatchObject({ allowed: false, headers: { "x-ratelimit-remaining-requests": "0" } });
    });
  });
}
