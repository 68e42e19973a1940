// The gateway's session pool (lib/gateway/session-manager.ts) driven directly, without a Next.js
// server: the real chain (anvil), two real provider nodes bidding on one model, and a fresh
// migrated PGlite database and gateway wallet per test, so no test depends on another's leftovers.
// What it proves: a claim is released only by its holder, and no request holds a session
// unbounded; idle sessions of a provider in cooldown do not keep a model at its cap; a provider
// that does not answer for its close receipt is retried before its session is disputed; and
// restart recovery reads only the wallet's sessions opened since its last check.
import { createPublicClient, custom, http, toFunctionSelector, type Hex, type PublicClient } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { getSession } from "@/lib/chain/reads";
import { computeNodeAbi } from "@/lib/chain/contracts.generated";
import { closeProviderSession, createConsumer, openProviderSession, type Consumer, type SessionOffer } from "@/lib/consumer";
import { ApiError } from "@/lib/gateway/errors";
import { runInference } from "@/lib/gateway/inference";
import { ModelDirectory, type GatewayModel } from "@/lib/gateway/models";
import { DEFAULT_RATING_WEIGHTS } from "@/lib/gateway/rating";
import { SessionManager, type SessionManagerOptions, type UsageStart } from "@/lib/gateway/session-manager";
import { createPrismaClient } from "@/lib/db";
import { bidOnModel, Cleanup, eventually, consumerFor, modelIdFor, modelsConfig, PRICE, seedProvider, startChain, startDatabase, startDemo, startProvider, startSwitchableProxy, type SwitchableProxy, type TestChain, type TestDatabase } from "../gateway/fixture";

const [NEAR, FAR] = [3, 4];
const MODEL = "pool-unit-chat";
const modelId = modelIdFor(NEAR, MODEL);
const address = (index: number) => devAccounts[index].address.toLowerCase();

const cleanup = new Cleanup();
let chain: TestChain;
let model: GatewayModel;
let nearProxy: SwitchableProxy;
let nearOffer: SessionOffer;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const nearDemo = await startDemo(cleanup);
  // About 35 chunks 100 ms apart: a stream that outlasts a short hold limit.
  const farDemo = await startDemo(cleanup, { tokenDelayMs: 100 });
  const near = await startProvider(cleanup, chain, { providerIndex: NEAR, models: modelsConfig([{ modelId, url: nearDemo.url }]) });
  const far = await startProvider(cleanup, chain, { providerIndex: FAR, models: modelsConfig([{ modelId, url: farDemo.url }]) });
  nearProxy = await startSwitchableProxy(cleanup, near.endpoint);
  const { bidId } = await seedProvider(chain, { providerIndex: NEAR, endpoint: nearProxy.endpoint, name: MODEL });
  await bidOnModel(chain, { providerIndex: FAR, endpoint: far.endpoint, modelId, price: 2n * PRICE });
  nearOffer = { bidId, provider: devAccounts[NEAR].address, endpoint: nearProxy.endpoint, pricePerSecond: PRICE };
  const directory = new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS });
  model = (await directory.resolve(modelId))!;
  expect(model.offers).toHaveLength(2);
});
afterAll(() => cleanup.run());
beforeEach(() => {
  nearProxy.up = true;
  nearProxy.stall = false;
});

interface Pool {
  manager: SessionManager;
  database: TestDatabase;
  consumer: Consumer;
  logs: string[];
}

const baseOptions = {
  sessionSeconds: 600,
  maxSessionsPerModel: 4,
  idleCloseMs: 600_000,
  renewBeforeSeconds: 60,
  directPayment: false,
  providerCooldownMs: 600_000,
  acquireTimeoutMs: 2_000,
  maintenanceIntervalMs: 60_000,
  receiptGiveUpMs: 600_000,
  // Most tests here look at the claims in the database: a released session goes straight back to
  // the shared pool. "parked sessions" below turn parking on.
  parkIdleMs: 0,
};
const managerOptions = (p: Pool): SessionManagerOptions => ({
  ...baseOptions,
  db: p.database.db,
  consumer: p.consumer,
  directory: new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS }),
  instanceId: "unused",
  log: { info: (m) => p.logs.push(`info: ${m}`), error: (m) => p.logs.push(`error: ${m}`) },
});

/** A session manager over a fresh database, for gateway wallet `walletIndex` (each test its own: 1, 2 or 5-9). */
async function pool(walletIndex: number, options: Partial<SessionManagerOptions> = {}, consumer?: Consumer): Promise<Pool> {
  const database = await startDatabase(cleanup);
  consumer ??= await consumerFor(chain, walletIndex);
  const logs: string[] = [];
  const manager = new SessionManager({
    ...baseOptions,
    db: database.db,
    consumer,
    directory: new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS }),
    instanceId: `pool-unit-${walletIndex}`,
    log: { info: (m) => logs.push(`info: ${m}`), error: (m) => logs.push(`error: ${m}`) },
    ...options,
  });
  cleanup.add(() => manager.stop());
  return { manager, database, consumer, logs };
}

const rowOf = (p: Pool, rowId: string) => p.database.db.gatewaySession.findUniqueOrThrow({ where: { id: rowId } });

describe("claims", () => {
  it("a claim freed by the abandoned-claim sweep is not released by its first holder: only the current holder's release counts", async () => {
    const p = await pool(5);
    const first = await p.manager.acquire(model);
    // The first request outlives the sweep's limit (its process stalled): the sweep frees its claim.
    await p.database.db.$executeRaw`UPDATE gateway_sessions SET claimed_at = now() - interval '11 minutes' WHERE id = ${first.rowId}::uuid`;
    await p.manager.maintain();
    expect(await rowOf(p, first.rowId)).toMatchObject({ state: "idle", claimedBy: null });

    const second = await p.manager.acquire(model);
    expect(second.rowId).toBe(first.rowId);
    await p.manager.release(first, "ok");
    expect(await rowOf(p, first.rowId), "the stale holder's release leaves the new claim alone").toMatchObject({ state: "busy", requestCount: 0 });
    await p.manager.release(first, "broken", "a stale holder cannot break it either");
    expect(await rowOf(p, first.rowId)).toMatchObject({ state: "busy", note: null });

    await p.manager.release(second, "ok");
    expect(await rowOf(p, first.rowId)).toMatchObject({ state: "idle", claimedBy: null, requestCount: 1 });
  });

  it("one request holds a session at most maxHoldMs: a longer stream ends with a 504 and the session returns to the pool", async () => {
    const p = await pool(6, { maxHoldMs: 1_500 });
    p.manager.markProviderFailed(nearOffer.provider, "the test wants the slow provider");
    const replies = runInference(
      { sessions: p.manager, consumer: p.consumer },
      {
        kind: "chat",
        model,
        body: { model: MODEL, stream: true, messages: [{ role: "user", content: "A long answer, please" }] },
        requestId: "hold-limit",
        signal: new AbortController().signal,
        timeouts: { firstByteMs: 15_000, idleMs: 15_000 },
        livenessPingMs: 0,
      },
      { attempts: 0 },
    );
    const outcome = await (async () => {
      for await (const chunk of replies) void chunk;
    })().then(
      () => "ended cleanly",
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ApiError);
    expect(outcome).toMatchObject({ code: "upstream_error", status: 504 });
    const [row, ...others] = await p.database.db.gatewaySession.findMany();
    expect(others).toEqual([]);
    expect(row).toMatchObject({ providerAddress: address(FAR), state: "idle", claimedBy: null, claimToken: null });
  });
});

describe("faults", () => {
  it("a release the database refuses is retried until it lands: the session does not stay busy after the outage", async () => {
    const p = await pool(5);
    // The manager reaches the database through a proxy the test can cut, as a database restart does.
    const dbProxy = await startSwitchableProxy(cleanup, new URL(p.database.url).host);
    const url = new URL(p.database.url);
    url.host = dbProxy.endpoint;
    const proxiedDb = createPrismaClient(url.toString(), { poolSize: 1 });
    cleanup.add(() => proxiedDb.$disconnect());
    const logs: string[] = [];
    const manager = new SessionManager({ ...managerOptions(p), db: proxiedDb, instanceId: "pool-unit-outage", log: { info: (m) => logs.push(m), error: (m) => logs.push(m) } });
    cleanup.add(() => manager.stop());

    const lease = await manager.acquire(model);
    dbProxy.up = false;
    dbProxy.dropConnections();
    await expect(manager.release(lease, "ok"), "a release during the outage does not fail the request").resolves.toBeUndefined();
    expect(manager.pendingReleaseCount).toBe(1);
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "busy" });

    dbProxy.up = true;
    await eventually(async () => expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "idle", claimToken: null, requestCount: 1 }), { timeoutMs: 15_000 });
    expect(manager.pendingReleaseCount).toBe(0);
  });

  it("a request's usage record is written by its claim and finished as interrupted by the next start's recovery", async () => {
    const p = await pool(6);
    const user = await p.database.db.user.create({ data: { address: "0x0000000000000000000000000000000000000019" } });
    const apiKeyId = (await p.database.db.apiKey.create({ data: { userId: user.id, name: "pool", prefix: "sk-pool", hash: "1".repeat(64) } })).id;
    const usage: UsageStart = { requestId: "req_cut_by_crash", apiKeyId, endpoint: "chat.completions", stream: true, model: MODEL, startedAt: new Date(Date.now() - 1_000) };

    // First claim: a new session (opened for it); a failover claim of the same request moves its record.
    const first = await p.manager.acquire(model, { usage, exclude: new Set([address(FAR)]) });
    const running = await p.database.db.usageRecord.findUniqueOrThrow({ where: { requestId: usage.requestId } });
    expect(running).toMatchObject({ status: "running", sessionId: first.session.sessionId.toLowerCase(), providerAddress: address(NEAR), instanceId: "pool-unit-6" });
    const second = await p.manager.acquire(model, { usage, exclude: new Set([address(NEAR)]) });
    expect(await p.database.db.usageRecord.findMany({ where: { requestId: usage.requestId } })).toMatchObject([
      { status: "running", sessionId: second.session.sessionId.toLowerCase(), providerAddress: address(FAR) },
    ]);
    await p.manager.release(first, "ok");
    // An idle session claimed for another request writes that request's record in the same statement.
    const third = await p.manager.acquire(model, { usage: { ...usage, requestId: "req_idle_claim" }, exclude: new Set([address(FAR)]) });
    expect(third).toMatchObject({ opened: false, rowId: first.rowId });
    expect(await p.database.db.usageRecord.findUniqueOrThrow({ where: { requestId: "req_idle_claim" } })).toMatchObject({ status: "running", sessionId: first.session.sessionId.toLowerCase() });

    // The process dies holding both: the next start of the same instance recovers.
    await p.manager.stop();
    const restarted = new SessionManager({ ...managerOptions(p), instanceId: "pool-unit-6" });
    cleanup.add(() => restarted.stop());
    await restarted.recover();
    const records = await p.database.db.usageRecord.findMany({ orderBy: { requestId: "asc" } });
    expect(records).toMatchObject([
      { requestId: "req_cut_by_crash", status: "error", errorCode: "interrupted" },
      { requestId: "req_idle_claim", status: "error", errorCode: "interrupted" },
    ]);
    expect(records[0].durationMs).toBeGreaterThanOrEqual(1_000);
    expect(await p.database.db.gatewaySession.count({ where: { state: "busy" } })).toBe(0);
  });
});

describe("the per-model cap", () => {
  it("idle sessions of a provider in cooldown do not keep the model at its cap", async () => {
    // Parked for long: the near provider's session waits in this instance's memory, not in the database.
    const p = await pool(7, { maxSessionsPerModel: 1, parkIdleMs: 60_000 });
    const first = await p.manager.acquire(model, { exclude: new Set([address(FAR)]) });
    expect(first.session.provider.toLowerCase()).toBe(address(NEAR));
    await p.manager.release(first, "ok");
    expect(p.manager.parkedSessionCount).toBe(1);
    p.manager.markProviderFailed(nearOffer.provider, "the test puts it in cooldown");

    // The cap is 1 and the near provider's idle session fills it: the far provider must get a session.
    const next = await p.manager.acquire(model);
    expect(next).toMatchObject({ opened: true });
    expect(next.session.provider.toLowerCase()).toBe(address(FAR));
    // Closing sessions count toward the cap (issue 10): the idle one was closed to make room.
    expect(["closing", "closed"]).toContain((await rowOf(p, first.rowId)).state);
    await p.manager.release(next, "ok");
  });
});

describe("parked sessions", () => {
  const usageFor = async (p: Pool, requestId: string): Promise<UsageStart> => {
    const user = await p.database.db.user.upsert({ where: { address: "0x0000000000000000000000000000000000000029" }, create: { address: "0x0000000000000000000000000000000000000029" }, update: {} });
    const key = await p.database.db.apiKey.create({ data: { userId: user.id, name: requestId, prefix: `sk-${requestId}`.slice(0, 16), hash: requestId.padEnd(64, "0").slice(0, 64) } });
    return { requestId, apiKeyId: key.id, endpoint: "chat.completions", stream: false, model: MODEL, startedAt: new Date() };
  };

  it("a session parked after its request serves this instance's next request under the same claim, no other instance can take it meanwhile, and it returns to the shared pool once idle", async () => {
    const p = await pool(5, { parkIdleMs: 1_500 });
    const nearOnly = { exclude: new Set([address(FAR)]) };
    const first = await p.manager.acquire(model, nearOnly);
    await p.manager.release(first, "ok");
    expect(p.manager.parkedSessionCount).toBe(1);
    expect(await rowOf(p, first.rowId), "parked: still busy under this instance's claim").toMatchObject({
      state: "busy",
      claimedBy: "pool-unit-5",
      claimToken: first.claimToken,
      requestCount: 0,
    });

    // Another instance on the same database and wallet cannot claim it: it opens its own session.
    const other = new SessionManager({ ...managerOptions(p), consumer: p.consumer, instanceId: "pool-unit-5-other" });
    cleanup.add(() => other.stop());
    const theirs = await other.acquire(model, nearOnly);
    expect(theirs).toMatchObject({ opened: true });
    expect(theirs.rowId).not.toBe(first.rowId);
    await other.release(theirs, "ok");

    // This instance's next request gets the parked session, with its running usage record.
    const usage = await usageFor(p, "req_parked_take");
    const second = await p.manager.acquire(model, { ...nearOnly, usage });
    expect(second).toMatchObject({ rowId: first.rowId, opened: false, claimToken: first.claimToken });
    expect(p.manager.parkedSessionCount).toBe(0);
    await eventually(async () =>
      expect(await p.database.db.usageRecord.findUnique({ where: { requestId: usage.requestId } })).toMatchObject({
        status: "running",
        sessionId: first.session.sessionId.toLowerCase(),
        providerAddress: address(NEAR),
      }),
    );
    await p.manager.release(second, "ok");

    // Unused for parkIdleMs: back in the shared pool, with both requests counted.
    await eventually(async () => expect(await rowOf(p, first.rowId)).toMatchObject({ state: "idle", claimedBy: null, claimToken: null, requestCount: 2 }), {
      timeoutMs: 10_000,
    });
    expect(p.manager.parkedSessionCount).toBe(0);
    const third = await other.acquire(model, nearOnly);
    expect([first.rowId, theirs.rowId]).toContain(third.rowId);
    await other.release(third, "ok");
  });

  it("requests that take parked sessions at once all get their running records, those queued behind a write sent together in one statement", async () => {
    const p = await pool(5, { parkIdleMs: 60_000 });
    const nearOnly = { exclude: new Set([address(FAR)]) };
    const leases = await Promise.all([1, 2, 3].map(() => p.manager.acquire(model, nearOnly)));
    for (const lease of leases) await p.manager.release(lease, "ok");
    expect(p.manager.parkedSessionCount).toBe(3);

    // The first take sends its record alone; the other two wait for it and go in one multi-row statement.
    const usages = await Promise.all(["req_group_1", "req_group_2", "req_group_3"].map((id) => usageFor(p, id)));
    const taken = await Promise.all(usages.map((usage) => p.manager.acquire(model, { ...nearOnly, usage })));
    expect(taken.every((lease) => !lease.opened)).toBe(true);
    await eventually(async () => {
      const records = await p.database.db.usageRecord.findMany({ where: { requestId: { in: usages.map((u) => u.requestId) } }, orderBy: { requestId: "asc" } });
      expect(records.map((r) => [r.requestId, r.status, r.stream, r.endpoint, r.sessionId])).toEqual(
        taken.map((lease, i) => [usages[i].requestId, "running", false, "chat.completions", lease.session.sessionId.toLowerCase()]),
      );
    });
    expect(p.logs.filter((line) => line.includes("not written"))).toEqual([]);
    for (const lease of taken) await p.manager.release(lease, "ok");
  });

  it("a session whose claim is too old to cover one more request, or that ends soon, is not parked: it goes back to the shared pool at once", async () => {
    const p = await pool(5, { parkIdleMs: 60_000 });
    const lease = await p.manager.acquire(model, { exclude: new Set([address(FAR)]) });
    // The claim was written long ago (the instance kept reusing it): the sweep could free it before another request ends.
    await p.manager.release({ ...lease, claimWrittenAt: Date.now() - 6 * 60_000 }, "ok");
    expect(p.manager.parkedSessionCount).toBe(0);
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "idle", claimedBy: null, requestCount: 1 });

    const again = await p.manager.acquire(model, { exclude: new Set([address(FAR)]) });
    expect(again.rowId).toBe(lease.rowId);
    await p.manager.release({ ...again, endsAtMs: Date.now() + 30_000 }, "ok");
    expect(p.manager.parkedSessionCount).toBe(0);
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "idle", requestCount: 2 });
  });

  it("a parked session that later breaks is closed with its earlier requests counted, and stop() returns parked sessions to the pool", async () => {
    const p = await pool(5, { parkIdleMs: 60_000 });
    const nearOnly = { exclude: new Set([address(FAR)]) };
    const lease = await p.manager.acquire(model, nearOnly);
    await p.manager.release(lease, "ok");
    const again = await p.manager.acquire(model, nearOnly);
    await p.manager.release(again, "broken", "the test breaks it");
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "closing", claimedBy: null, requestCount: 1, note: "the test breaks it" });

    const fresh = await p.manager.acquire(model, { exclude: new Set([address(NEAR)]) });
    await p.manager.release(fresh, "ok");
    expect(p.manager.parkedSessionCount).toBe(1);
    await p.manager.stop();
    expect(p.manager.parkedSessionCount).toBe(0);
    expect(await rowOf(p, fresh.rowId)).toMatchObject({ state: "idle", claimedBy: null, requestCount: 1 });
  });
});

describe("closing a session whose provider does not answer", () => {
  async function brokenNearSession(p: Pool) {
    const lease = await p.manager.acquire(model, { exclude: new Set([address(FAR)]) });
    expect(lease.session.provider.toLowerCase()).toBe(address(NEAR));
    await p.manager.release(lease, "broken", "the test closes it");
    return lease;
  }

  it("one that accepts the connection and never answers holds up only its own session's close: another provider's session is closed meanwhile", async () => {
    const p = await pool(6);
    const near = await brokenNearSession(p);
    const far = await p.manager.acquire(model, { exclude: new Set([address(NEAR)]) });
    await p.manager.release(far, "broken", "the test closes it too");
    nearProxy.stall = true;

    let passEnded = false;
    const pass = p.manager.maintain().finally(() => (passEnded = true));
    // The far provider's receipt arrives while the near one's receipt call is still waiting (10 s for a first byte).
    await eventually(async () => expect(await rowOf(p, far.rowId)).toMatchObject({ state: "closed", disputed: false }), { timeoutMs: 8_000 });
    expect(await rowOf(p, near.rowId)).toMatchObject({ state: "closing", closeFailures: 0 });
    expect(passEnded, "the pass is still waiting for the wedged provider").toBe(false);

    nearProxy.stall = false;
    nearProxy.dropConnections();
    await pass;
  });

  it("is retried, and closed with the receipt once the provider is back: no dispute", async () => {
    // No pause between tries (give-up 0), so the test need not wait; still RECEIPT_MIN_TRIES tries before a dispute.
    const p = await pool(8, { receiptGiveUpMs: 0 });
    const lease = await brokenNearSession(p);
    nearProxy.up = false;
    await p.manager.maintain();
    await p.manager.maintain();
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "closing", closeFailures: 2, disputed: false });
    expect((await getSession(chain.ctx, lease.session.sessionId)).closedAt).toBe(0n);

    nearProxy.up = true;
    await p.manager.maintain();
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "closed", disputed: false });
    expect((await getSession(chain.ctx, lease.session.sessionId)).closeoutType).toBe(0n);
  });

  it("is closed as a dispute once the provider stayed away for several tries", async () => {
    const p = await pool(9, { receiptGiveUpMs: 0 });
    const lease = await brokenNearSession(p);
    nearProxy.up = false;
    for (let i = 0; i < 3; i++) await p.manager.maintain();
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "closed", disputed: true, closeFailures: 2 });
    const onChain = await getSession(chain.ctx, lease.session.sessionId);
    expect(onChain.closedAt).toBeGreaterThan(0n);
    expect(onChain.closeoutType).toBe(1n);
  });

  it("is closed as a dispute before the give-up time when its session is about to end", async () => {
    const p = await pool(1, { receiptGiveUpMs: 600_000 });
    const lease = await brokenNearSession(p);
    nearProxy.up = false;
    await p.manager.maintain();
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "closing", closeFailures: 1, disputed: false, claimedBy: null });
    // Its session about to end: no point waiting for the provider any longer.
    await p.database.db.$executeRaw`UPDATE gateway_sessions SET ends_at = now() + interval '5 seconds', claimed_at = now() - interval '1 minute' WHERE id = ${lease.rowId}::uuid`;
    await p.manager.maintain();
    expect(await rowOf(p, lease.rowId)).toMatchObject({ state: "closed", disputed: true });
  });
});

describe("restart recovery", () => {
  it("reads only the wallet's sessions opened since its last check, and still finds a new orphan", async () => {
    const walletIndex = 2;
    // The wallet's own client, counting the session reads it makes.
    const reads = { getSession: 0 };
    const getSessionSelector = toFunctionSelector(computeNodeAbi.find((i) => i.type === "function" && i.name === "getSession")!);
    const rpc = createPublicClient({ chain: foundry, transport: http(chain.anvil.rpcUrl) });
    const client = createPublicClient({
      chain: foundry,
      pollingInterval: 100,
      transport: custom({
        request: ({ method, params }: { method: string; params?: unknown }) => {
          if (method === "eth_call" && (params as [{ data?: Hex; input?: Hex }])[0]?.data?.startsWith(getSessionSelector)) reads.getSession++;
          return rpc.request({ method, params } as never);
        },
      }),
    }) as PublicClient;
    const account = devAccounts[walletIndex];
    const consumer = await createConsumer({ client, diamond: chain.deployed.diamond, mor: chain.deployed.mor }, devPrivateKey(account), account);

    // History: sessions the wallet opened and closed, unknown to this database.
    for (let i = 0; i < 3; i++) await closeProviderSession(consumer, await openProviderSession(consumer, nearOffer, { durationSeconds: 600n }));
    const p = await pool(walletIndex, {}, consumer);
    await p.manager.recover();
    expect(await p.database.db.gatewaySession.count(), "closed sessions are not queued").toBe(0);

    reads.getSession = 0;
    await p.manager.recover();
    expect(reads.getSession, "a second recovery reads none of the old sessions").toBe(0);

    const orphan = await openProviderSession(consumer, nearOffer, { durationSeconds: 600n });
    reads.getSession = 0;
    await p.manager.recover();
    expect(reads.getSession).toBe(1);
    expect(await p.database.db.gatewaySession.findUniqueOrThrow({ where: { sessionId: orphan.sessionId.toLowerCase() } })).toMatchObject({
      state: "closing",
      note: "open on-chain but unknown to the pool",
    });
  });
});
