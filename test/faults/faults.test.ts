// Faults under load, against the gateway as it runs in production (`next start` of the built app)
// on a real PostgreSQL cluster this file owns (so it can stop and start it), the real chain
// (anvil), real provider nodes and demo models: the database stopped and restarted mid-load; the
// gateway SIGKILLed mid-stream and restarted; a provider node SIGKILLed mid-stream; the chain's
// RPC frozen (SIGSTOP) and resumed; the demo model answering 500s, hanging, and thinking long.
// For each: what clients saw (clean OpenAI errors, never a 500 with internals), exactly one usage
// record per request that got past its API key, no session left claimed once the gateway has
// recovered, and no session open on-chain without its row in the pool.
// `npm test` runs the short version; `npm run test:faults` (FAULTS_FULL=1) the long one: more
// clients, longer outages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "@/lib/chain/anvil";
import { getSession, getUserSessionIds } from "@/lib/chain/reads";
import type { DemoModel } from "@/lib/demo-model";
import type { Backend } from "../db/backends";
import {
  Cleanup,
  cliEnv,
  createKey,
  eventually,
  gatewayAddress,
  modelIdFor,
  modelsConfig,
  modelsConfigJson,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startProvider,
  startProviderProcess,
  type GatewayProcess,
  type ProviderProcess,
  type TestChain,
  type TestDatabase,
} from "../gateway/fixture";
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from "./postgres-cluster";

// Tests read their own configuration from the environment, as any harness does.
const FULL = process.env.FAULTS_FULL === "1";
const CLIENTS = FULL ? 8 : 4;
const STREAMS = FULL ? 8 : 4;
const DB_OUTAGE_MS = FULL ? 8_000 : 2_500;
const CHAIN_FREEZE_MS = FULL ? 8_000 : 2_500;
const LOAD_AFTER_MS = FULL ? 4_000 : 1_500;

const [STEADY, KILLED, FROZEN, FAULTY, THINKER, STALLED] = [3, 4, 5, 6, 7, 8];
const model = (name: string) => `faults-${name}`;
const INSTANCE = "faults-gateway";
const TEST_MS = FULL ? 180_000 : 60_000;

if (postgresSkipReason) console.warn(`[faults] skipped: ${postgresSkipReason}`);

describe.skipIf(postgresSkipReason !== undefined)("faults", () => {
  const cleanup = new Cleanup();
  let cluster: PostgresCluster;
  let chain: TestChain;
  let database: TestDatabase;
  let gateway: GatewayProcess;
  let apiKey: string;
  let faultyDemo: DemoModel;
  let killable: ProviderProcess;
  let stallable: ProviderProcess;
  const gatewayEnv = {
    GATEWAY_MAX_SESSIONS_PER_MODEL: String(CLIENTS),
    GATEWAY_LIVENESS_PING_MS: "400",
    // The hanging model may think 1.5 s; the thinking one 20 s (it takes 2.5 s, pinged meanwhile).
    // The stalled one 5 minutes: only the liveness pings can tell its frozen provider in time.
    GATEWAY_MODEL_TIMEOUTS: `${model("faulty")}=1500ms,${model("thinker")}=20s,${model("stalled")}=5m`,
    GATEWAY_ACQUIRE_TIMEOUT_MS: "10000",
    // As in production: a key verified less than 1 s ago is trusted without a poll, so the outage
    // test also shows what such a grace buys (requests that pass the key check still need the
    // database to claim a session).
    API_KEY_REFRESH_MS: "1000",
  };
  const restartGateway = async () => (gateway = await startGateway(cleanup, { chain, database, instanceId: INSTANCE, env: gatewayEnv }));

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    cleanup.add(() => cluster.destroy());
    const clusterBackend: Backend = {
      name: "PostgreSQL (fault cluster)",
      async fresh() {
        const admin = new URL(cluster.url);
        const pg = await import("pg");
        const client = new pg.default.Client({ connectionString: admin.toString() });
        await client.connect();
        await client.query("CREATE DATABASE faults");
        await client.end();
        admin.pathname = "/faults";
        return { url: admin.toString(), drop: async () => {} }; // the cluster goes as a whole
      },
    };
    chain = await startChain(cleanup);
    database = await startDatabase(cleanup, clusterBackend);
    apiKey = await createKey(database.db, { name: "faults" });

    const provide = async (index: number, served: Array<[name: string, demo: DemoModel]>) => {
      const node = await startProvider(cleanup, chain, { providerIndex: index, models: modelsConfig(served.map(([name, demo]) => ({ modelId: modelIdFor(index, model(name)), url: demo.url }))) });
      for (const [name] of served) await seedProvider(chain, { providerIndex: index, endpoint: node.endpoint, name: model(name) });
    };
    // "slow": about 35 chunks 250 ms apart, still streaming when the gateway is killed.
    await provide(STEADY, [
      ["steady", await startDemo(cleanup, { tokenDelayMs: 30 })],
      ["slow", await startDemo(cleanup, { tokenDelayMs: 250 })],
    ]);
    await provide(FROZEN, [["frozen", await startDemo(cleanup)]]);
    faultyDemo = await startDemo(cleanup);
    await provide(FAULTY, [["faulty", faultyDemo]]);
    await provide(THINKER, [["thinker", await startDemo(cleanup, { firstTokenDelayMs: 2_500 })]]);
    // The provider that gets killed: the real CLI in its own process, streaming slowly.
    const slowDemo = await startDemo(cleanup, { tokenDelayMs: 150 });
    killable = await startProviderProcess(
      cleanup,
      cliEnv(chain, { PROVIDER_PRIVATE_KEY: devKey(KILLED), MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfigJson([{ modelId: modelIdFor(KILLED, model("killed")), url: slowDemo.url }])) }),
    );
    await seedProvider(chain, { providerIndex: KILLED, endpoint: killable.endpoint, name: model("killed") });
    stallable = await startProviderProcess(
      cleanup,
      cliEnv(chain, { PROVIDER_PRIVATE_KEY: devKey(STALLED), MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfigJson([{ modelId: modelIdFor(STALLED, model("stalled")), url: (await startDemo(cleanup)).url }])) }),
    );
    cleanup.add(() => void stallable.child.kill("SIGCONT")); // never leave it frozen, whatever failed
    await seedProvider(chain, { providerIndex: STALLED, endpoint: stallable.endpoint, name: model("stalled") });
    await restartGateway();
  }, 180_000);
  afterAll(() => cleanup.run());
  showGatewayOutputOnFailure(() => [gateway]);

  // --- what every fault must leave behind -----------------------------------------------------

  /** Clean OpenAI errors only: never a 500, never internals in a message. */
  function expectCleanErrors(outcomes: Outcome[]) {
    for (const o of outcomes) {
      expect(o.status, JSON.stringify(o)).not.toBe(500);
      const error = o.error ?? o.streamError;
      if (!error) continue;
      expect(error, JSON.stringify(o)).toMatchObject({ message: expect.any(String), type: expect.any(String) });
      expect(error.message, JSON.stringify(o)).not.toMatch(/prisma|DriverAdapter|ECONNREFUSED|postgres|\n\s+at |stack/i);
      expect(error.code, JSON.stringify(o)).not.toBe("internal_error");
    }
  }

  /** Exactly one usage record per request that got past its API key; returns them by request id. */
  async function expectOneRecordEach(outcomes: Outcome[]) {
    const counted = outcomes.filter((o) => o.requestId && !refusedBeforeAuth(o));
    const ids = counted.map((o) => o.requestId!);
    const records = await eventually(
      async () => {
        const rows = await database.db.usageRecord.findMany({ where: { requestId: { in: ids } } });
        expect(rows.length, `usage records of ${ids.length} requests`).toBe(ids.length);
        // Finished records are written off the hot path (batched): wait until every one has landed.
        expect(rows.filter((r) => r.status === "running").map((r) => r.requestId), "records still running").toEqual([]);
        return rows;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const byId = new Map(records.map((r) => [r.requestId, r]));
    for (const o of counted) {
      const record = byId.get(o.requestId!)!;
      if (o.status === 200 && !o.streamError && !o.cut) expect(record.status, JSON.stringify({ o, record })).toBe("ok");
    }
    return byId;
  }

  /** No claim left, no record left running, and every session open on-chain has its row in the pool. */
  async function expectPoolInOrder() {
    await eventually(
      async () => {
        expect(await database.db.gatewaySession.count({ where: { state: "busy" } }), "sessions still claimed").toBe(0);
        expect(await database.db.usageRecord.count({ where: { status: "running" } }), "usage records still running").toBe(0);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const open: Array<{ id: string; bidId: string }> = [];
    for (const id of await getUserSessionIds(chain.ctx, gatewayAddress)) {
      const s = await getSession(chain.ctx, id);
      if (s.closedAt === 0n) open.push({ id: id.toLowerCase(), bidId: s.bidId.toLowerCase() });
    }
    const rows = await database.db.gatewaySession.findMany({ where: { sessionId: { in: open.map((s) => s.id) } } });
    const pooled = new Set(rows.filter((r) => ["idle", "busy", "closing"].includes(r.state)).map((r) => r.sessionId));
    // An opening the database outage interrupted after the chain opened it: its row (state opening,
    // no session id yet) is adopted by the maintenance loop once it is 2 minutes old.
    const openings = await database.db.gatewaySession.findMany({ where: { state: "opening", sessionId: null } });
    const unknown = open.filter((s) => !pooled.has(s.id) && !openings.some((r) => r.bidId === s.bidId));
    expect(unknown, "sessions open on-chain without a row in the pool").toEqual([]);
  }

  // --- the faults -------------------------------------------------------------------------------

  it("the database stopped and restarted mid-load: 503 gateway_unavailable while it is down, no 500, every claim released after", async () => {
    const load = startLoad(() => gateway, apiKey, model("steady"), CLIENTS);
    await load.until((done) => done.filter((o) => o.status === 200).length >= CLIENTS);
    load.phase = "during the outage";
    cluster.stop();
    await load.until((done) => done.some((o) => o.status === 503)); // clients notice
    await new Promise((resolve) => setTimeout(resolve, DB_OUTAGE_MS)); // the outage lasts, whatever the clients do
    cluster.start();
    load.phase = "after the restart";
    const back = load.count();
    await load.until((done) => done.slice(back).filter((o) => o.status === 200).length >= CLIENTS, LOAD_AFTER_MS);
    const outcomes = await load.stop();

    report("database outage", outcomes);
    expectCleanErrors(outcomes);
    for (const o of outcomes) expect([200, 503], JSON.stringify(o)).toContain(o.status);
    expect(outcomes.filter((o) => o.status === 503).every((o) => o.error?.code === "gateway_unavailable"), "every 503 says gateway_unavailable").toBe(true);
    await expectOneRecordEach(outcomes);
    await expectPoolInOrder();
  }, TEST_MS);

  it("the gateway SIGKILLed mid-stream and restarted: the cut streams are on record as interrupted, their sessions freed", async () => {
    let outcomes: Outcome[];
    try {
      // Sessions opened first, so that every stream starts at once from the pool.
      await Promise.all(Array.from({ length: STREAMS }, () => chat(gateway, apiKey, model("slow"), false)));
      const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(gateway, apiKey, model("slow"))));
      expect(streams.map((s) => s.status)).toEqual(streams.map(() => 200));
      await Promise.all(streams.map((s) => s.firstChunk));
      process.kill(gateway.pid, "SIGKILL");
      outcomes = await Promise.all(streams.map((s) => s.done));
      report("gateway SIGKILL", outcomes);
      expect(outcomes.every((o) => o.cut), "every client saw its stream cut").toBe(true);
      expect(await database.db.gatewaySession.count({ where: { state: "busy" } }), "the killed gateway left its claims").toBeGreaterThan(0);
    } finally {
      await gateway.exited;
      await restartGateway(); // the next tests need it, whatever failed here
    }

    const records = await expectOneRecordEach(outcomes);
    for (const o of outcomes) expect(records.get(o.requestId!), o.requestId!).toMatchObject({ status: "error", errorCode: "interrupted", stream: true });
    expect([...records.values()].every((r) => r.durationMs > 0)).toBe(true);
    await expectPoolInOrder();
    // The restarted gateway serves from the recovered pool.
    expect((await chat(gateway, apiKey, model("steady"), false)).status).toBe(200);
  }, TEST_MS);

  it("a provider node SIGKILLed mid-stream: clients get an error event, each request one record, the session is queued for closing", async () => {
    const count = Math.min(STREAMS, CLIENTS);
    await Promise.all(Array.from({ length: count }, () => chat(gateway, apiKey, model("killed"), false))); // sessions first
    const streams = await Promise.all(Array.from({ length: count }, () => openStream(gateway, apiKey, model("killed"))));
    expect(streams.map((s) => s.status)).toEqual(streams.map(() => 200));
    await Promise.all(streams.map((s) => s.firstChunk));
    killable.child.kill("SIGKILL");
    const outcomes = await Promise.all(streams.map((s) => s.done));
    report("provider SIGKILL", outcomes);
    for (const o of outcomes) expect(o.streamError, JSON.stringify(o)).toMatchObject({ code: "upstream_error" });
    expectCleanErrors(outcomes);
    const records = await expectOneRecordEach(outcomes);
    for (const r of records.values()) expect(r).toMatchObject({ status: "error", errorCode: "upstream_error" });
    // The next request finds no live provider: a clean 503.
    const after = await chat(gateway, apiKey, model("killed"), false);
    expect(after.status).toBe(503);
    expect(after.error?.code).toBe("no_provider_available");
    expectCleanErrors([after]);
    await expectPoolInOrder();
  }, TEST_MS);

  it("the chain's RPC frozen (SIGSTOP) and resumed: requests wait or fail cleanly, and the pool is in order after", async () => {
    const load = startLoad(() => gateway, apiKey, model("frozen"), CLIENTS);
    await load.until((done) => done.filter((o) => o.status === 200).length >= CLIENTS);
    load.phase = "while frozen";
    process.kill(chain.anvil.pid, "SIGSTOP");
    try {
      await new Promise((resolve) => setTimeout(resolve, CHAIN_FREEZE_MS));
    } finally {
      process.kill(chain.anvil.pid, "SIGCONT");
    }
    load.phase = "after resuming";
    const back = load.count();
    await load.until((done) => done.slice(back).filter((o) => o.status === 200).length >= CLIENTS, LOAD_AFTER_MS);
    const outcomes = await load.stop();
    report("chain RPC frozen", outcomes);
    expectCleanErrors(outcomes);
    for (const o of outcomes) expect([200, 503, 504], JSON.stringify(o)).toContain(o.status);
    await expectOneRecordEach(outcomes);
    await expectPoolInOrder();
  }, TEST_MS);

  it("the demo model answering 500s, then hanging: upstream errors and a 504, and its provider is not cooled down for either", async () => {
    faultyDemo.fault = "error";
    const failing = await Promise.all(Array.from({ length: CLIENTS }, () => chat(gateway, apiKey, model("faulty"), false)));
    faultyDemo.fault = "hang";
    const hanging = await Promise.all(Array.from({ length: 2 }, (_, i) => chat(gateway, apiKey, model("faulty"), i === 0)));
    faultyDemo.fault = "none";
    // Served at once: neither fault put the model's only provider in cooldown (that would be a 503).
    const healed = await chat(gateway, apiKey, model("faulty"), true);
    const outcomes = [...failing, ...hanging, healed];
    report("demo model 500s / hanging", outcomes);

    for (const o of failing) expect(o, JSON.stringify(o)).toMatchObject({ status: 502, error: { code: "upstream_error" } });
    for (const o of hanging) expect(o, JSON.stringify(o)).toMatchObject({ status: 504, error: { code: "upstream_error", message: expect.stringMatching(/did not start answering within 2 s .*provider is up/) } });
    expect(healed.status, JSON.stringify(healed)).toBe(200);
    expectCleanErrors(outcomes);
    await expectOneRecordEach(outcomes);
    expect(gateway.output()).not.toMatch(new RegExp(`provider ${devAccounts[FAULTY].address} skipped`, "i"));
    await expectPoolInOrder();
  }, TEST_MS);

  it("a model that thinks long before its first token, within its per-model limit, is served: pinged meanwhile, not failed over", async () => {
    const outcomes = await Promise.all([chat(gateway, apiKey, model("thinker"), true), chat(gateway, apiKey, model("thinker"), false)]);
    report("thinking model", outcomes);
    for (const o of outcomes) expect(o.status, JSON.stringify(o)).toBe(200);
    expect(outcomes[0].streamError).toBeUndefined();
    const records = await expectOneRecordEach(outcomes);
    for (const r of records.values()) expect(r.ttftMs).toBeGreaterThanOrEqual(2_500);
    await expectPoolInOrder();
  }, TEST_MS);

  it("a client that leaves while the model thinks is on record as client_closed_request, not as a gateway failure, and nothing is logged as one", async () => {
    const since = new Date();
    const outputBefore = gateway.output().length;
    for (const stream of [false, true]) {
      const controller = new AbortController();
      const call = fetch(`${gateway.baseURL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: model("thinker"), stream, messages: [{ role: "user", content: "Think, then go" }] }),
        signal: controller.signal,
      });
      // The request is running once its usage record is (the claim writes it): then the client leaves.
      await eventually(async () => expect(await database.db.usageRecord.count({ where: { model: model("thinker"), stream, createdAt: { gte: since } } })).toBe(1));
      controller.abort();
      await call.catch(() => {});
    }
    const records = await eventually(async () => {
      const rows = await database.db.usageRecord.findMany({ where: { model: model("thinker"), createdAt: { gte: since } } });
      expect(rows.map((r) => [r.stream, r.status, r.errorCode]).sort()).toEqual([
        [false, "error", "client_closed_request"],
        [true, "error", "client_closed_request"],
      ]);
      return rows;
    });
    const logged = gateway.output().slice(outputBefore);
    for (const r of records) expect(logged).not.toContain(`request ${r.requestId} failed`);
    await expectPoolInOrder();
  }, TEST_MS);

  it("a provider frozen (SIGSTOP) while its model thinks is found by the liveness pings long before the model's limit: failed over and cooled down", async () => {
    expect((await chat(gateway, apiKey, model("stalled"), false)).status).toBe(200); // a session in the pool
    stallable.child.kill("SIGSTOP");
    let outcome: Outcome;
    try {
      // Its model may think 5 minutes; the test's own limit is far shorter, so only the pings can end it.
      outcome = await chat(gateway, apiKey, model("stalled"), true);
    } finally {
      stallable.child.kill("SIGCONT");
    }
    report("provider frozen while the model thinks", [outcome]);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 503, error: { code: "no_provider_available" } });
    expectCleanErrors([outcome]);
    expect(gateway.output()).toMatch(new RegExp(`provider ${devAccounts[STALLED].address} skipped for \\d+ s: provider stopped answering liveness pings`, "i"));
    await expectOneRecordEach([outcome]);
    await expectPoolInOrder();
  }, TEST_MS);
});

// --- clients --------------------------------------------------------------------------------------

interface ApiErrorShape {
  message: string;
  type: string;
  code: string | null;
}

interface Outcome {
  status: number;
  requestId: string | null;
  error?: ApiErrorShape;
  /** The error event that ended a stream. */
  streamError?: ApiErrorShape;
  /** The connection was cut (no response, or a stream without its end). */
  cut?: boolean;
  /** What the test was doing when the request started (load phases). */
  phase?: string;
}

const devKey = (index: number) => `0x${Buffer.from(devAccounts[index].getHdKey().privateKey!).toString("hex")}`;

/** Refused by key verification while the database was down: no key, so no usage record (as for any refused key). */
const refusedBeforeAuth = (o: Outcome) => o.status === 503 && /temporarily unavailable/.test(o.error?.message ?? "");

function report(fault: string, outcomes: Outcome[]) {
  const phases = [...new Set(outcomes.map((o) => o.phase))];
  for (const phase of phases) {
    const these = outcomes.filter((o) => o.phase === phase);
    const by = new Map<string, number>();
    for (const o of these) {
      const key = o.cut
        ? "cut"
        : o.streamError
          ? `200+error event ${o.streamError.code}`
          : o.error
            ? `${o.status} ${o.error.code}${refusedBeforeAuth(o) ? " (at the key check)" : ""}`
            : String(o.status);
      by.set(key, (by.get(key) ?? 0) + 1);
    }
    const label = phase ? `${fault}, started ${phase}` : fault;
    console.log(`[faults] ${label}: ${these.length} requests: ${[...by].map(([k, n]) => `${n} × ${k}`).join(", ")}`);
  }
}

function request(gateway: GatewayProcess, apiKey: string, modelName: string, stream: boolean): Promise<Response> {
  return fetch(`${gateway.baseURL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: modelName, stream, messages: [{ role: "user", content: "Tell me about faults" }] }),
    signal: AbortSignal.timeout(60_000),
  });
}

/** SSE `data:` payloads of a body; the error event and whether [DONE] came. */
function readEvents(text: string): { streamError?: ApiErrorShape; done: boolean } {
  let streamError: ApiErrorShape | undefined;
  let done = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice(6);
    if (data === "[DONE]") done = true;
    else {
      const event = JSON.parse(data) as { error?: ApiErrorShape };
      if (event.error) streamError = event.error;
    }
  }
  return { streamError, done };
}

async function chat(gateway: GatewayProcess, apiKey: string, modelName: string, stream: boolean): Promise<Outcome> {
  let response: Response;
  try {
    response = await request(gateway, apiKey, modelName, stream);
  } catch {
    return { status: 0, requestId: null, cut: true };
  }
  const requestId = response.headers.get("x-request-id");
  let text: string;
  try {
    text = await response.text();
  } catch {
    return { status: response.status, requestId, cut: true };
  }
  if (!response.ok) return { status: response.status, requestId, error: (JSON.parse(text) as { error: ApiErrorShape }).error };
  if (!stream) return { status: response.status, requestId };
  const { streamError, done } = readEvents(text);
  return { status: response.status, requestId, streamError, cut: !done && !streamError };
}

interface OpenStream {
  status: number;
  requestId: string | null;
  firstChunk: Promise<void>;
  done: Promise<Outcome>;
}

/** A streamed request whose first chunk can be awaited before the fault strikes. */
async function openStream(gateway: GatewayProcess, apiKey: string, modelName: string): Promise<OpenStream> {
  const response = await request(gateway, apiKey, modelName, true);
  const requestId = response.headers.get("x-request-id");
  const reader = response.body!.getReader();
  let text = "";
  let first!: () => void;
  const firstChunk = new Promise<void>((resolve) => (first = resolve));
  const done = (async (): Promise<Outcome> => {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        text += decoder.decode(value, { stream: true });
        if (text.includes("\n\n")) first();
      }
    } catch {
      first();
      return { status: response.status, requestId, cut: true, ...readEvents(text.slice(0, text.lastIndexOf("\n\n") + 1)) };
    }
    first();
    const { streamError, done: sawDone } = readEvents(text);
    return { status: response.status, requestId, streamError, cut: !sawDone && !streamError };
  })();
  return { status: response.status, requestId, firstChunk, done };
}

/** `clients` loops of requests (streamed and not, alternately) until stopped; bounded by `maxRequests`. */
function startLoad(gateway: () => GatewayProcess, apiKey: string, modelName: string, clients: number, maxRequests = 20_000) {
  const outcomes: Outcome[] = [];
  let stopping = false;
  let phase = "before";
  const waiters = new Set<() => void>();
  const loops = Array.from({ length: clients }, async (_, i) => {
    for (let n = 0; !stopping && outcomes.length < maxRequests; n++) {
      const startedIn = phase;
      outcomes.push({ ...(await chat(gateway(), apiKey, modelName, (i + n) % 2 === 0)), phase: startedIn });
      for (const wake of waiters) wake();
    }
  });
  return {
    count: () => outcomes.length,
    /** Tags the requests started from now on. */
    set phase(name: string) {
      phase = name;
    },
    /** Resolves once `enough` holds of the outcomes so far, and at least `minMs` have passed (bounded: 60 s). */
    async until(enough: (done: Outcome[]) => boolean, minMs = 0) {
      const started = Date.now();
      const minDone = new Promise((resolve) => setTimeout(resolve, minMs));
      while (!enough(outcomes)) {
        if (Date.now() - started > 60_000) throw new Error(`load: condition not met within 60 s (${outcomes.length} requests)`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 1_000);
        });
      }
      await minDone;
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return outcomes;
    },
  };
}
