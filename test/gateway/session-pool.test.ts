// The gateway's pool of on-chain sessions across requests and restarts of the gateway process:
// one session serves many requests (one openSession on-chain); after SIGTERM and a restart with
// the same GATEWAY_INSTANCE_ID the pool is recovered — a claim left by a request cut off by the
// shutdown is released and the session reused, an opening interrupted after its on-chain
// transaction is adopted, a session open on-chain but unknown to the database is closed — so no
// session of the gateway wallet is left orphaned; and idle sessions are closed on-chain with the
// provider's receipt (not disputed, provider stats updated). A gateway whose build failed at boot
// and was rebuilt by a later request still writes, on SIGTERM, the usage records of the requests
// it cuts short. Each test has its own database, gateway wallet and gateway process: none depends
// on what another left behind.
import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { getProviderModelStats, getSession, getUserSessionIds, readMany } from "@/lib/chain/reads";
import { openApprovedSession, openProviderSession, requestApproval, type SessionOffer } from "@/lib/consumer";
import {
  Cleanup,
  consumerFor,
  createKey,
  eventually,
  modelIdFor,
  modelsConfig,
  openaiFor,
  PRICE,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startProvider,
  startSwitchableProxy,
  usageRecord,
  type GatewayProcess,
  type TestChain,
  type TestDatabase,
} from "./fixture";

const [FAST_PROVIDER, SLOW_PROVIDER] = [3, 4];
const [FAST, SLOW] = ["pool-chat", "pool-slow-chat"];
const fastModelId = modelIdFor(FAST_PROVIDER, FAST);
const slowModelId = modelIdFor(SLOW_PROVIDER, SLOW);

const cleanup = new Cleanup();
let chain: TestChain;
let fastOffer: SessionOffer;
let slowOffer: SessionOffer;
const allGateways: GatewayProcess[] = [];

beforeAll(async () => {
  chain = await startChain(cleanup);
  const fastDemo = await startDemo(cleanup);
  const slowDemo = await startDemo(cleanup, { tokenDelayMs: 40 });
  const fast = await startProvider(cleanup, chain, { providerIndex: FAST_PROVIDER, models: modelsConfig([{ modelId: fastModelId, url: fastDemo.url }]) });
  const slow = await startProvider(cleanup, chain, { providerIndex: SLOW_PROVIDER, models: modelsConfig([{ modelId: slowModelId, url: slowDemo.url }]) });
  const fastBid = await seedProvider(chain, { providerIndex: FAST_PROVIDER, endpoint: fast.endpoint, name: FAST });
  const slowBid = await seedProvider(chain, { providerIndex: SLOW_PROVIDER, endpoint: slow.endpoint, name: SLOW });
  fastOffer = { bidId: fastBid.bidId, provider: devAccounts[FAST_PROVIDER].address, endpoint: fast.endpoint, pricePerSecond: PRICE };
  slowOffer = { bidId: slowBid.bidId, provider: devAccounts[SLOW_PROVIDER].address, endpoint: slow.endpoint, pricePerSecond: PRICE };
});
afterAll(() => cleanup.run());
showGatewayOutputOnFailure(() => allGateways);

const messages = [{ role: "user" as const, content: "Pool me a reply" }];

/** One test's own gateway: a fresh database, its own gateway wallet (dev account `walletIndex`) and instance. */
class PoolUnderTest {
  readonly gateways: GatewayProcess[] = [];
  readonly address: Address;
  readonly wallet: string;
  readonly instanceId: string;
  database!: TestDatabase;
  key!: string;

  constructor(readonly walletIndex: number) {
    this.address = devAccounts[walletIndex].address;
    this.wallet = this.address.toLowerCase();
    this.instanceId = `pool-tests-${walletIndex}`;
  }

  static async start(walletIndex: number, options: { env?: Record<string, string>; onProbe?: (status: number) => void } = {}): Promise<PoolUnderTest> {
    const pool = new PoolUnderTest(walletIndex);
    pool.database = await startDatabase(cleanup);
    pool.key = await createKey(pool.database.db);
    await pool.startGateway(options);
    return pool;
  }

  private async startGateway({ env = {}, onProbe }: { env?: Record<string, string>; onProbe?: (status: number) => void } = {}) {
    const gateway = await startGateway(cleanup, {
      chain,
      database: this.database,
      instanceId: this.instanceId,
      env: { GATEWAY_PRIVATE_KEY: devPrivateKey(devAccounts[this.walletIndex]), ...env },
      onProbe,
    });
    this.gateways.push(gateway);
    allGateways.push(gateway);
  }

  get current() {
    return this.gateways.at(-1)!;
  }

  client() {
    return openaiFor(this.current, this.key);
  }

  async chat(model: string, stream: boolean) {
    if (!stream) {
      const { response } = await this.client().chat.completions.create({ model, messages }).withResponse();
      return usageRecord(this.database.db, response.headers.get("x-request-id"));
    }
    const { data, response } = await this.client().chat.completions.create({ model, messages, stream: true }).withResponse();
    for await (const chunk of data) expect(chunk.object).toBe("chat.completion.chunk");
    return usageRecord(this.database.db, response.headers.get("x-request-id"));
  }

  /** A stream that has delivered its first chunk and is still running; `ended` settles with its outcome. */
  async streamInFlight(model: string) {
    const { data: stream, response } = await this.client().chat.completions.create({ model, messages, stream: true }).withResponse();
    let firstChunk = () => {};
    const started = new Promise<void>((resolve) => (firstChunk = resolve));
    const ended = (async () => {
      for await (const chunk of stream) if (chunk) firstChunk();
      return "ended cleanly";
    })().catch((error: unknown) => error);
    await started;
    return { requestId: response.headers.get("x-request-id"), ended };
  }

  /** The gateway wallet's sessions as the chain has them. */
  async walletSessions() {
    return readMany(await getUserSessionIds(chain.ctx, this.address), (id) => getSession(chain.ctx, id));
  }

  rowOf(sessionId: string) {
    return this.database.db.gatewaySession.findUniqueOrThrow({ where: { sessionId: sessionId.toLowerCase() } });
  }

  /** Restarts the gateway as an operator would: SIGTERM, then `next start` again with the same instance id. */
  async restart(env: Record<string, string> = {}) {
    const stopped = await this.current.stop();
    expect(stopped, "the gateway exits cleanly on SIGTERM").toEqual({ code: 0, signal: null });
    await this.startGateway({ env });
  }
}

describe("session reuse", () => {
  it("one on-chain session serves request after request", async () => {
    const pool = await PoolUnderTest.start(2);
    const records = [];
    for (const stream of [false, true, false, true, false]) records.push(await pool.chat(FAST, stream));
    const sessionId = records[0].sessionId!;
    expect(records.map((r) => [r.status, r.sessionId])).toEqual(Array(5).fill(["ok", sessionId]));
    // Parked in the gateway between requests, then back in the shared pool with all five counted.
    await eventually(async () => expect(await pool.rowOf(sessionId)).toMatchObject({ state: "idle", requestCount: 5, claimedBy: null, modelId: fastModelId }));
    const onChain = await pool.walletSessions();
    expect(onChain.map((s) => s.sessionId.toLowerCase())).toEqual([sessionId]);
    expect(onChain[0].closedAt).toBe(0n);
  });

  it("a client that leaves mid-stream: its request is on record as such, and its session serves the next one", async () => {
    const pool = await PoolUnderTest.start(5);
    const { data: stream, response } = await pool.client().chat.completions.create({ model: SLOW, messages, stream: true }).withResponse();
    let chunks = 0;
    for await (const chunk of stream) if (chunk && ++chunks === 2) break; // the SDK aborts the request
    const left = await usageRecord(pool.database.db, response.headers.get("x-request-id"));
    expect(left).toMatchObject({ stream: true, status: "error", errorCode: "client_closed_request", providerAddress: slowOffer.provider.toLowerCase() });
    expect(left.sessionId).toMatch(/^0x[0-9a-f]{64}$/);
    // The session is back in the pool and serves the next request.
    await eventually(async () => expect(await pool.rowOf(left.sessionId!)).toMatchObject({ state: "idle", claimedBy: null }));
    const next = await pool.chat(SLOW, true);
    expect(next).toMatchObject({ status: "ok", sessionId: left.sessionId });
  });
});

describe("a gateway restart", () => {
  it("recovers the pool: claims released and sessions reused, an interrupted opening adopted, an unknown session closed", async () => {
    const pool = await PoolUnderTest.start(6);
    const { database } = pool;
    const fastSession = (await pool.chat(FAST, false)).sessionId!;

    // What a crash of the gateway leaves on-chain, made with the gateway wallet itself: a session
    // opened whose row was never written, and an opening whose row was written (with the
    // provider's key and the stake, as the gateway writes it before its transaction) but never
    // updated after the transaction.
    const gatewayConsumer = await consumerFor(chain, pool.walletIndex);
    const orphan = await openProviderSession(gatewayConsumer, slowOffer, { durationSeconds: 600n });
    const approved = await requestApproval(gatewayConsumer, fastOffer, { durationSeconds: 600n });
    const openingRow = await database.db.gatewaySession.create({
      data: {
        chainId: Number(gatewayConsumer.chainId),
        userAddress: pool.wallet,
        modelId: fastModelId,
        bidId: fastOffer.bidId.toLowerCase(),
        providerAddress: fastOffer.provider.toLowerCase(),
        providerEndpoint: fastOffer.endpoint,
        pricePerSecond: PRICE.toString(),
        stake: approved.stake.toString(),
        providerPubKey: approved.approval.providerPubKey,
        state: "opening",
        claimedBy: pool.instanceId,
        claimedAt: new Date(),
      },
    });
    const interrupted = await openApprovedSession(gatewayConsumer, approved);

    // A stream in flight when the gateway is stopped (at its first chunk): its session stays
    // claimed by this instance.
    const cut = await pool.streamInFlight(SLOW);
    const [slowRow, ...otherSlow] = await database.db.gatewaySession.findMany({ where: { modelId: slowModelId } });
    expect(otherSlow).toEqual([]);
    expect(slowRow).toMatchObject({ state: "busy", claimedBy: pool.instanceId });
    const sessionsBefore = (await pool.walletSessions()).length;

    await pool.restart();
    expect(await cut.ended, "the stream cut by the shutdown does not look complete").toBeInstanceOf(Error);
    // The request cut short is on record (written before the gateway exited).
    expect(await usageRecord(database.db, cut.requestId)).toMatchObject({
      stream: true,
      status: "error",
      errorCode: "server_shutdown",
      sessionId: slowRow.sessionId,
    });

    // Recovered at start, before serving.
    expect(await database.db.gatewaySession.findUniqueOrThrow({ where: { id: slowRow.id } })).toMatchObject({ state: "idle", claimedBy: null, claimedAt: null });
    expect(await database.db.gatewaySession.findUniqueOrThrow({ where: { id: openingRow.id } })).toMatchObject({
      state: "idle",
      sessionId: interrupted.sessionId.toLowerCase(),
      claimedBy: null,
    });
    expect((await pool.rowOf(orphan.sessionId)).note).toBe("open on-chain but unknown to the pool");

    // Requests reuse the recovered sessions: no new session on-chain.
    const slowAgain = await pool.chat(SLOW, false);
    expect(slowAgain.sessionId).toBe(slowRow.sessionId);
    for (const stream of [false, true]) {
      expect([fastSession, interrupted.sessionId.toLowerCase()]).toContain((await pool.chat(FAST, stream)).sessionId);
    }
    // (The request cut by the shutdown never finished: it is not counted.)
    await eventually(async () => expect(await pool.rowOf(slowRow.sessionId!)).toMatchObject({ state: "idle", requestCount: slowRow.requestCount + 1 }));

    // The unknown session is closed, with its provider's receipt.
    const closedOrphan = await eventually(
      async () => {
        const row = await pool.rowOf(orphan.sessionId);
        expect(row.state).toBe("closed");
        return row;
      },
      { timeoutMs: 15_000 },
    );
    expect(closedOrphan.disputed).toBe(false);
    const orphanOnChain = await getSession(chain.ctx, orphan.sessionId);
    expect(orphanOnChain.closedAt).toBeGreaterThan(0n);
    expect(orphanOnChain.closeoutType).toBe(0n);

    // None orphaned: every session of the gateway wallet still open on-chain is in the pool.
    const onChain = await pool.walletSessions();
    expect(onChain).toHaveLength(sessionsBefore);
    const open = onChain.filter((s) => s.closedAt === 0n).map((s) => s.sessionId.toLowerCase());
    expect(open.sort()).toEqual([fastSession, interrupted.sessionId.toLowerCase(), slowRow.sessionId].sort());
    for (const sessionId of open) expect(["idle", "busy"]).toContain((await pool.rowOf(sessionId)).state);
  });

  it("of a gateway whose build failed at boot and was rebuilt by a request: SIGTERM still writes the records of the requests it cuts", async () => {
    // The chain's RPC is unreachable when the gateway boots, so its build fails; it comes back
    // once a request has seen the 503 of that failure, and the next request rebuilds the gateway.
    const rpc = await startSwitchableProxy(cleanup, new URL(chain.anvil.rpcUrl).host, { up: false });
    const pool = await PoolUnderTest.start(7, {
      env: { RPC_URL: `http://${rpc.endpoint}` },
      onProbe: (status) => {
        if (status === 503) rpc.up = true;
      },
    });
    expect(pool.current.output()).toContain("[gateway] failed to start");

    const cut = await pool.streamInFlight(SLOW);
    const stopped = await pool.current.stop();
    expect(stopped, "the gateway exits cleanly on SIGTERM").toEqual({ code: 0, signal: null });
    expect(await cut.ended).toBeInstanceOf(Error);
    expect(await usageRecord(pool.database.db, cut.requestId)).toMatchObject({ stream: true, status: "error", errorCode: "server_shutdown" });
  });
});

describe("idle sessions", () => {
  it("are closed on-chain with the provider's receipt, which updates the provider's stats", async () => {
    const pool = await PoolUnderTest.start(8);
    const { database } = pool;
    await pool.chat(FAST, false);
    await pool.chat(SLOW, true);
    const live = await eventually(async () => {
      const rows = await database.db.gatewaySession.findMany({ where: { state: "idle" } });
      expect(rows).toHaveLength(2);
      return rows;
    });
    const statsOf = (modelId: Hex, index: number) => getProviderModelStats(chain.ctx, modelId, devAccounts[index].address);
    const before = { fast: await statsOf(fastModelId, FAST_PROVIDER), slow: await statsOf(slowModelId, SLOW_PROVIDER) };

    await pool.restart({ GATEWAY_SESSION_IDLE_SECONDS: "1" });
    const closed = await eventually(
      async () => {
        const rows = await database.db.gatewaySession.findMany({ where: { id: { in: live.map((r) => r.id) } } });
        expect(rows.map((r) => r.state)).toEqual(["closed", "closed"]);
        return rows;
      },
      { timeoutMs: 20_000 },
    );
    for (const row of closed) {
      expect(row).toMatchObject({ disputed: false, claimedBy: null, closeTxHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
      expect(row.closedAt).toBeInstanceOf(Date);
      const onChain = await getSession(chain.ctx, row.sessionId as Hex);
      expect(onChain.closedAt).toBeGreaterThan(0n);
      expect(onChain.closeoutType).toBe(0n);
    }
    const after = { fast: await statsOf(fastModelId, FAST_PROVIDER), slow: await statsOf(slowModelId, SLOW_PROVIDER) };
    expect(after.fast).toMatchObject({ successCount: before.fast.successCount + 1, totalCount: before.fast.totalCount + 1 });
    expect(after.slow).toMatchObject({ successCount: before.slow.successCount + 1, totalCount: before.slow.totalCount + 1 });
    expect(after.fast.tpsScaled1000.mean).toBeGreaterThan(0n);

    // Nothing of the gateway wallet is left open on-chain.
    expect((await pool.walletSessions()).filter((s) => s.closedAt === 0n)).toEqual([]);
  });
});
