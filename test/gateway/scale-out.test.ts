// Two gateway processes (`next start`, two instance ids, one wallet) sharing one pool in one real
// PostgreSQL, hammered at once: they never hand one session to two requests at the same time —
// checked on the provider's side, by a proxy in front of the provider node that sees every prompt
// and the session it is for, and in the database — and together they never open more sessions
// than GATEWAY_MAX_SESSIONS_PER_MODEL; and a key's requests-per-minute limit holds for both
// together, not for each. Needs TEST_POSTGRES_URL (CI sets it): PGlite runs one
// query at a time and has no row locks worth the name, so it cannot show this.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSession, getUserSessionIds, readMany } from "@/lib/chain/reads";
import { postgresBackend } from "../db/backends";
import {
  Cleanup,
  eventually,
  createKey,
  gatewayAddress,
  modelIdFor,
  modelsConfig,
  openaiFor,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startProvider,
  startSessionMonitor,
  type GatewayProcess,
  type SessionMonitor,
  type TestChain,
  type TestDatabase,
} from "./fixture";

const PROVIDER = 3;
const MODEL = "scale-chat";
const modelId = modelIdFor(PROVIDER, MODEL);
const CAP = 3;
const PER_GATEWAY = 40;
const RATE_LIMIT_SYNC_MS = 200;

describe.skipIf(postgresBackend.skipReason)(
  `two gateways on one PostgreSQL${postgresBackend.skipReason ? ` (skipped: ${postgresBackend.skipReason})` : ""}`,
  () => {
    const cleanup = new Cleanup();
    let chain: TestChain;
    let database: TestDatabase;
    let monitor: SessionMonitor;
    let gateways: GatewayProcess[] = [];
    let key: string;

    beforeAll(async () => {
      chain = await startChain(cleanup);
      // A few ms per chunk: a streamed reply takes ~100 ms, so requests overlap plenty.
      const demo = await startDemo(cleanup, { tokenDelayMs: 3 });
      const node = await startProvider(cleanup, chain, { providerIndex: PROVIDER, models: modelsConfig([{ modelId, url: demo.url }]) });
      monitor = await startSessionMonitor(cleanup, node.endpoint);
      await seedProvider(chain, { providerIndex: PROVIDER, endpoint: monitor.endpoint, name: MODEL });
      database = await startDatabase(cleanup, postgresBackend);
      // One key sends every request of a wave to each gateway: its per-key concurrency limit is not what is tested here.
      const env = {
        GATEWAY_MAX_SESSIONS_PER_MODEL: String(CAP),
        GATEWAY_MAX_CONCURRENT_PER_KEY: String(4 * PER_GATEWAY),
        GATEWAY_RATE_LIMIT_SYNC_MS: String(RATE_LIMIT_SYNC_MS),
      };
      gateways = await Promise.all(["scale-a", "scale-b"].map((instanceId) => startGateway(cleanup, { chain, database, instanceId, env })));
      key = await createKey(database.db, { rpmLimit: 100_000 });
    });
    afterAll(() => cleanup.run());
    showGatewayOutputOnFailure(() => gateways);

    /** One request (streamed or whole) through `gateway`; its request id once it has completed. */
    async function request(gateway: GatewayProcess, i: number, stream: boolean): Promise<string> {
      const client = openaiFor(gateway, key);
      const messages = [{ role: "user" as const, content: `request ${i} through ${gateway.instanceId}` }];
      if (!stream) {
        const { data, response } = await client.chat.completions.create({ model: MODEL, messages }).withResponse();
        expect(data.choices[0].message.content).toContain(`request ${i} through`);
        return response.headers.get("x-request-id")!;
      }
      const { data, response } = await client.chat.completions.create({ model: MODEL, messages, stream: true }).withResponse();
      let text = "";
      for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? "";
      expect(text).toContain(`request ${i} through`);
      return response.headers.get("x-request-id")!;
    }

    it("never share a session between concurrent requests, and open no more sessions than the cap together", async () => {
      // Sampled all along: the sessions the pool holds (opening, idle or busy) for the model.
      let sampling = true;
      let mostLive = 0;
      const sampler = (async () => {
        while (sampling) {
          const [{ live }] = await database.db.$queryRaw<{ live: number }[]>`
            SELECT count(*)::int AS live FROM gateway_sessions WHERE model_id = ${modelId} AND state IN ('opening', 'idle', 'busy')`;
          mostLive = Math.max(mostLive, live);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      // First one streamed request through each gateway at the same moment: both open a session
      // at once, with the one wallet. Then two waves, all at once through both gateways, half of
      // them streamed: the first finds the pool below its cap (more sessions are opened), the
      // second a full one.
      const served: Array<{ gateway: string; requestId: string }> = [];
      const waves = [1, PER_GATEWAY, PER_GATEWAY];
      try {
        for (const [wave, size] of waves.entries()) {
          const results = await Promise.all(
            gateways.flatMap((gateway) =>
              Array.from({ length: size }, async (_, i) => ({
                gateway: gateway.instanceId,
                requestId: await request(gateway, wave * PER_GATEWAY + i, wave === 0 || i % 2 === 1),
              })),
            ),
          );
          served.push(...results);
          if (wave === 0) {
            // Back in the shared pool once the gateways no longer park them.
            await eventually(async () => {
              const opened = await database.db.gatewaySession.findMany({ where: { modelId, state: "idle" } });
              expect(opened.length, "each gateway opened a session for its first request").toBe(2);
            });
          }
        }
      } finally {
        sampling = false;
        await sampler;
      }
      const total = 2 * waves.reduce((a, b) => a + b, 0);
      expect(served).toHaveLength(total);

      // The provider's side: every request reached it once, and never two at a time on one session.
      expect(monitor.prompts).toHaveLength(total);
      expect(monitor.prompts.every((p) => p.end !== undefined)).toBe(true);
      expect([...monitor.overlapping]).toEqual([]);
      expect(monitor.maxConcurrentPerSession()).toBe(1);

      // The database's side: one usage record per request; the sessions that served them are the
      // ones the provider saw, with as many requests each; no more than the cap, ever.
      const records = await waitForRecords(total);
      expect(records.every((r) => r.status === "ok" && r.sessionId)).toBe(true);
      const perSession = (sessionIds: string[]) => Object.fromEntries([...new Set(sessionIds)].sort().map((id) => [id, sessionIds.filter((s) => s === id).length]));
      const servedBy = perSession(records.map((r) => r.sessionId!));
      expect(perSession(monitor.prompts.map((p) => p.sessionId))).toEqual(servedBy);
      const rows = await eventually(async () => {
        const pooled = await database.db.gatewaySession.findMany({ where: { modelId, sessionId: { not: null } } });
        expect(pooled.every((r) => r.state === "idle" && r.claimedBy === null)).toBe(true);
        return pooled;
      });
      expect(Object.fromEntries(rows.map((r) => [r.sessionId, r.requestCount]).sort())).toEqual(servedBy);
      expect(rows.length).toBeLessThanOrEqual(CAP);
      expect(mostLive).toBeLessThanOrEqual(CAP);
      const onChain = await readMany(await getUserSessionIds(chain.ctx, gatewayAddress), (id) => getSession(chain.ctx, id));
      expect(onChain.length).toBeLessThanOrEqual(CAP);
      expect(onChain.map((s) => s.sessionId.toLowerCase()).sort()).toEqual(rows.map((r) => r.sessionId).sort());

      // One pool, not two: sessions served requests of both gateways.
      const gatewaysOf = new Map<string, Set<string>>();
      for (const { gateway, requestId } of served) {
        const sessionId = records.find((r) => r.requestId === requestId)!.sessionId!;
        gatewaysOf.set(sessionId, (gatewaysOf.get(sessionId) ?? new Set()).add(gateway));
      }
      expect([...gatewaysOf.values()].some((set) => set.size === 2)).toBe(true);
    });

    it("share a key's requests-per-minute limit: about the limit is admitted through both, not the limit through each", async () => {
      const limit = 30;
      const limitedKey = await createKey(database.db, { rpmLimit: limit });
      const perGateway = 2 * limit; // each alone would admit `limit` of them
      const pauseMs = 100; // at most 10 requests a second through each gateway
      const statuses = await Promise.all(
        gateways.map(async (gateway) => {
          const seen: number[] = [];
          for (let i = 0; i < perGateway; i++) {
            const response = await fetch(`${gateway.baseURL}/models`, { headers: { authorization: `Bearer ${limitedKey}` }, signal: AbortSignal.timeout(10_000) });
            await response.arrayBuffer();
            seen.push(response.status);
            if (response.status === 429) expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
          return seen;
        }),
      );
      const all = statuses.flat();
      expect(all.every((status) => status === 200 || status === 429)).toBe(true);
      const admitted = all.filter((status) => status === 200).length;
      // The documented bound: what both admit within two sync intervals (10/s each) on top of the limit.
      const bound = 2 * 10 * ((2 * RATE_LIMIT_SYNC_MS) / 1000);
      expect(admitted).toBeGreaterThanOrEqual(limit);
      expect(admitted).toBeLessThanOrEqual(limit + bound);
      expect(statuses.every((seen) => seen.includes(200))).toBe(true); // both served some
    });

    async function waitForRecords(count: number) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const records = await database.db.usageRecord.findMany({ where: { status: { not: "running" } } }); // finished ones
        if (records.length >= count || Date.now() > deadline) {
          expect(records).toHaveLength(count);
          return records;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  },
);
