// The session pool (lib/gateway/session-manager.ts, inference.ts) against providers and requests
// that try to hurt it (issue 10): the real chain (anvil), real provider nodes, a fresh PGlite
// database per test. A "hostile" provider is a real provider node behind a proxy that answers
// session.prompt with an error of our choosing — the edge of the system, where an attacker sits.
// What it proves: a failure one request can provoke cools no provider down; a provider that fails
// its fresh sessions gets no new ones; every spending limit holds (closing sessions count, a
// total cap, openings per provider per minute, stake per session and in total, price); offers
// with an endpoint the gateway cannot store or must not dial are dropped; ids win over names;
// and a request waiting at the cap is woken, not polling the database.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "@/lib/chain/anvil";
import { getSessionEconomics, stakeForDuration } from "@/lib/chain/reads";
import type { Consumer } from "@/lib/consumer";
import type { Db } from "@/lib/db";
import { ApiError } from "@/lib/gateway/errors";
import { runInference, type InferenceTrace } from "@/lib/gateway/inference";
import { isDialableEndpoint, keyMayUse, ModelDirectory, type GatewayModel } from "@/lib/gateway/models";
import { DEFAULT_RATING_WEIGHTS } from "@/lib/gateway/rating";
import { SessionManager, type SessionManagerOptions } from "@/lib/gateway/session-manager";
import { encodeError, infraError } from "@/lib/morrpc";
import { bidOnModel, Cleanup, consumerFor, modelIdFor, modelsConfig, PRICE, seedProvider, startChain, startDatabase, startDemo, startProvider, type TestChain, type TestDatabase } from "../gateway/fixture";

const [NEAR, FAR, LONG_ENDPOINT, IMPOSTOR] = [3, 4, 5, 6];
const MODEL = "hostile-chat";
const modelId = modelIdFor(NEAR, MODEL);
const address = (index: number) => devAccounts[index].address.toLowerCase();
const SESSION_SECONDS = 600;

/** Tests open several sessions and wait out acquire timeouts: slow on a busy machine. */
const SLOW = 120_000;

const cleanup = new Cleanup();
let chain: TestChain;
let directory: ModelDirectory;
let model: GatewayModel;
let nearProxy: HostileProxy;

interface HostileProxy {
  endpoint: string;
  /** Set: session.prompt is answered with this plain-text error instead of reaching the provider. */
  promptError: string | undefined;
}

/** A TCP proxy in front of a provider node that can answer its prompts with an error of its own. */
async function startHostileProxy(target: string): Promise<HostileProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const sockets = new Set<net.Socket>();
  const proxy: HostileProxy = { endpoint: "", promptError: undefined };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("error", () => {});
    client.once("close", () => sockets.delete(client));
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("utf8");
      const method = /"method"\s*:\s*"([^"]*)"/.exec(head)?.[1];
      if (!method) return; // not enough of the request yet
      client.off("data", onData);
      if (method === "session.prompt" && proxy.promptError !== undefined) {
        const id = /"id"\s*:\s*"([^"]*)"/.exec(head)?.[1] ?? "";
        client.end(encodeError(id, infraError(proxy.promptError)));
        return;
      }
      const upstream = net.connect({ host, port });
      sockets.add(upstream);
      upstream.on("error", () => client.destroy());
      upstream.once("close", () => {
        sockets.delete(upstream);
        client.destroy();
      });
      client.once("close", () => upstream.destroy());
      upstream.write(head);
      client.pipe(upstream).pipe(client);
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return proxy;
}

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  const near = await startProvider(cleanup, chain, { providerIndex: NEAR, models: modelsConfig([{ modelId, url: demo.url }]) });
  const far = await startProvider(cleanup, chain, { providerIndex: FAR, models: modelsConfig([{ modelId, url: demo.url }]) });
  nearProxy = await startHostileProxy(near.endpoint);
  await seedProvider(chain, { providerIndex: NEAR, endpoint: nearProxy.endpoint, name: MODEL });
  await bidOnModel(chain, { providerIndex: FAR, endpoint: far.endpoint, modelId, price: 2n * PRICE });
  directory = new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS });
  model = (await directory.resolve(modelId))!;
  expect(model.offers).toHaveLength(2);
});
afterAll(() => cleanup.run());

interface Pool {
  manager: SessionManager;
  database: TestDatabase;
  consumer: Consumer;
  logs: string[];
}

/** A session manager over a fresh database for gateway wallet `walletIndex` (1, 2, 7, 8 or 9). */
async function pool(walletIndex: number, options: Partial<SessionManagerOptions> = {}, db?: (db: Db) => Db): Promise<Pool> {
  const database = await startDatabase(cleanup);
  const consumer = await consumerFor(chain, walletIndex);
  const logs: string[] = [];
  const manager = new SessionManager({
    db: db ? db(database.db) : database.db,
    consumer,
    directory,
    instanceId: `hostile-${walletIndex}`,
    sessionSeconds: SESSION_SECONDS,
    maxSessionsPerModel: 4,
    idleCloseMs: 600_000,
    renewBeforeSeconds: 60,
    directPayment: false,
    providerCooldownMs: 600_000,
    acquireTimeoutMs: 2_000,
    maintenanceIntervalMs: 60_000,
    receiptGiveUpMs: 600_000,
    // These tests read the pool's rows right after a request: released sessions go straight back to it.
    parkIdleMs: 0,
    log: { info: (m) => logs.push(`info: ${m}`), error: (m) => logs.push(`error: ${m}`) },
    ...options,
  });
  cleanup.add(() => manager.stop());
  return { manager, database, consumer, logs };
}

/** One chat request through the pool: its replies, or the error it ended with. */
async function chat(p: Pool, body: Record<string, unknown> = {}, signal = new AbortController().signal) {
  const trace: InferenceTrace = { attempts: 0 };
  const replies: unknown[] = [];
  try {
    for await (const reply of runInference(
      { sessions: p.manager, consumer: p.consumer, log: { error: (m) => p.logs.push(`error: ${m}`) } },
      { kind: "chat", model, body: { model: MODEL, messages: [{ role: "user", content: "Hello" }], ...body }, requestId: `req-${Math.random()}`, signal, timeouts: { firstByteMs: 15_000, idleMs: 15_000 }, livenessPingMs: 0 },
      trace,
    )) {
      replies.push(reply);
    }
    return { replies, trace, error: undefined };
  } catch (error) {
    return { replies, trace, error: error as Error };
  }
}

const rows = (p: Pool) => p.database.db.gatewaySession.findMany({ orderBy: { createdAt: "asc" } });
const cooled = (p: Pool) => p.logs.filter((l) => / skipped for \d+ s/.test(l));

describe("failures a request can provoke", () => {
  it("a provider error that the request's content causes on every provider cools none down: 502, and both serve the next request", async () => {
    const p = await pool(1);
    // The provider node refuses a prompt whose `type` it does not know, whoever sends it: any provider fails it alike.
    const bad = await chat(p, { type: "not-a-kind" });
    expect(bad.error).toBeInstanceOf(ApiError);
    expect(bad.error).toMatchObject({ code: "upstream_error", status: 502, message: "No provider could process this request." });
    expect(cooled(p), "no provider is cooled down").toEqual([]);
    // Both sessions were fine: they stay in the pool.
    expect((await rows(p)).map((r) => `${r.providerAddress} ${r.state}`).sort()).toEqual([`${address(NEAR)} idle`, `${address(FAR)} idle`].sort());

    const good = await chat(p);
    expect(good.error).toBeUndefined();
    expect(good.trace.provider?.toLowerCase()).toBe(address(NEAR));
    expect(await p.database.db.gatewaySession.count(), "served by a session already open").toBe(2);
  }, SLOW);

  it("a provider that fails a request another provider serves is cooled down", async () => {
    const p = await pool(2);
    nearProxy.promptError = "internal error";
    try {
      const result = await chat(p);
      expect(result.error).toBeUndefined();
      expect(result.trace.provider?.toLowerCase()).toBe(address(FAR));
      expect(cooled(p)).toEqual([expect.stringContaining(`provider ${devAccounts[NEAR].address} skipped`)]);
    } finally {
      nearProxy.promptError = undefined;
    }
  }, SLOW);
});

describe("what the gateway wallet may spend", () => {
  it("a provider that answers 'user not found' on its fresh session gets no second one: each request is served by another provider", async () => {
    const p = await pool(7);
    nearProxy.promptError = "user not found";
    try {
      for (let i = 0; i < 3; i++) {
        const result = await chat(p);
        expect(result.error).toBeUndefined();
        expect(result.trace.provider?.toLowerCase()).toBe(address(FAR));
      }
      const opened = (await rows(p)).filter((r) => r.providerAddress === address(NEAR));
      expect(opened, "one session with the hostile provider, not three per request").toHaveLength(1);
    } finally {
      nearProxy.promptError = undefined;
    }
  }, SLOW);

  it("closing sessions count toward the per-model cap: none is opened past it until one is closed", async () => {
    const p = await pool(8, { maxSessionsPerModel: 1 });
    const first = await p.manager.acquire(model, { exclude: new Set([address(FAR)]) });
    await p.manager.release(first, "broken", "the test breaks it");
    const refused = await p.manager.acquire(model).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "no_provider_available" });
    expect(await p.database.db.gatewaySession.count()).toBe(1);

    await p.manager.maintain(); // closes it with the provider's receipt
    const next = await p.manager.acquire(model);
    expect(next.opened).toBe(true);
    await p.manager.release(next, "ok");
  }, SLOW);

  it("a total cap over all models, and a cap on openings per provider per minute", async () => {
    const total = await pool(9, { maxSessionsTotal: 1 });
    const held = await total.manager.acquire(model);
    expect(await total.manager.acquire(model).catch((e: unknown) => e)).toMatchObject({ code: "no_provider_available" });
    expect(await total.database.db.gatewaySession.count()).toBe(1);
    await total.manager.release(held, "ok");

    const rate = await pool(9, { maxOpeningsPerProviderPerMinute: 1 });
    const onlyNear = { exclude: new Set([address(FAR)]) };
    const first = await rate.manager.acquire(model, onlyNear);
    await rate.manager.release(first, "broken", "the test breaks it");
    await rate.manager.maintain();
    expect(await rate.manager.acquire(model, onlyNear).catch((e: unknown) => e), "a second opening within the minute is refused").toMatchObject({ code: "no_provider_available" });
    // Another provider may still be opened with.
    const far = await rate.manager.acquire(model);
    expect(far.session.provider.toLowerCase()).toBe(address(FAR));
    await rate.manager.release(far, "ok");
  }, SLOW);

  it("stake per session and in total: offers over the per-session cap are not used, openings stop at the total", async () => {
    const stake = stakeForDuration(await getSessionEconomics(chain.ctx), PRICE, BigInt(SESSION_SECONDS));
    const perSession = await pool(1, { maxStakePerSession: stake }); // the far provider's session would need twice that
    const near = await perSession.manager.acquire(model);
    expect(near.session.provider.toLowerCase()).toBe(address(NEAR));
    const farOnly = { exclude: new Set([address(NEAR)]) };
    expect(await perSession.manager.acquire(model, farOnly).catch((e: unknown) => e)).toMatchObject({ code: "no_provider_available" });
    expect((await rows(perSession)).map((r) => r.providerAddress)).toEqual([address(NEAR)]);
    await perSession.manager.release(near, "ok");

    const inTotal = await pool(2, { maxTotalStake: stake + stake / 2n });
    const held = await inTotal.manager.acquire(model, { exclude: new Set([address(FAR)]) });
    expect(await inTotal.manager.acquire(model).catch((e: unknown) => e)).toMatchObject({ code: "no_provider_available" });
    expect(await inTotal.database.db.gatewaySession.count()).toBe(1);
    await inTotal.manager.release(held, "ok");
  }, SLOW);

  it("bids over the price cap are never ranked", async () => {
    const capped = new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS, maxPricePerSecond: PRICE });
    const offers = await capped.rankedOffers((await capped.resolve(modelId))!);
    expect(offers.map((o) => o.provider.toLowerCase())).toEqual([address(NEAR)]);
  }, SLOW);

  it("a request whose client has left opens no session", async () => {
    const p = await pool(7);
    const gone = new AbortController();
    gone.abort();
    expect(await p.manager.acquire(model, { signal: gone.signal }).catch((e: unknown) => e)).toBeInstanceOf(Error);
    expect(await p.database.db.gatewaySession.count()).toBe(0);
  }, SLOW);
});

describe("offers the gateway cannot store or must not dial", () => {
  it("a provider whose on-chain endpoint is over 255 characters is skipped, even as the cheapest bid: the model is served", async () => {
    const long = `${"a".repeat(300)}.example:3333`;
    await bidOnModel(chain, { providerIndex: LONG_ENDPOINT, endpoint: long, modelId, price: PRICE / 2n });
    const fresh = new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS });
    const withLong = (await fresh.resolve(modelId))!;
    expect(withLong.offers.map((o) => o.providerEndpoint)).toContain(long);
    const offers = await fresh.rankedOffers(withLong);
    expect(offers.map((o) => o.provider.toLowerCase()).sort()).toEqual([address(NEAR), address(FAR)].sort());

    const p = await pool(8, { directory: fresh });
    const lease = await p.manager.acquire(withLong);
    expect(lease.session.provider.toLowerCase()).not.toBe(address(LONG_ENDPOINT));
    await p.manager.release(lease, "ok");
  }, SLOW);

  it("on a public chain, endpoints on loopback, private and link-local addresses are dropped", async () => {
    const publicChain = new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS, allowPrivateEndpoints: false });
    expect(await publicChain.rankedOffers((await publicChain.resolve(modelId))!)).toEqual([]);
    const refused = ["127.0.0.1:1", "localhost:3333", "10.1.2.3:80", "172.20.0.1:80", "192.168.1.1:80", "169.254.169.254:80", "[::1]:80", "[fe80::1]:80", "[fd00::1]:80", "[::ffff:127.0.0.1]:80", "0.0.0.0:80", "127.1:80", "x".repeat(300) + ":80", "http://a.example:80", "a.example"];
    for (const endpoint of refused) expect(isDialableEndpoint(endpoint, { allowPrivate: false }), endpoint).toBe(false);
    for (const endpoint of ["provider.example.com:3333", "8.8.8.8:443", "[2001:db8::1]:3333"]) expect(isDialableEndpoint(endpoint, { allowPrivate: false }), endpoint).toBe(true);
    expect(isDialableEndpoint("127.0.0.1:3333", { allowPrivate: true })).toBe(true);
  }, SLOW);
});

describe("model lookups", () => {
  it("a model named 0x<another model's id> does not capture lookups by that id nor pass an allow-list naming it", async () => {
    await seedProvider(chain, { providerIndex: IMPOSTOR, endpoint: "127.0.0.1:9", name: modelId });
    const fresh = new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS });
    const impostor = (await fresh.list()).find((m) => m.name === modelId)!;
    expect(impostor.modelId).toBe(modelIdFor(IMPOSTOR, modelId).toLowerCase());
    expect(impostor.id, "listed by its own id, not by a name that looks like one").toBe(impostor.modelId);
    expect((await fresh.resolve(modelId))?.modelId).toBe(modelId.toLowerCase());
    expect((await fresh.resolve(modelId.toUpperCase().replace("0X", "0x")))?.modelId).toBe(modelId.toLowerCase());
    expect(keyMayUse([modelId], impostor)).toBe(false);
    expect(keyMayUse([modelId], (await fresh.resolve(modelId))!)).toBe(true);
  }, SLOW);
});

describe("waiting at the cap", () => {
  it("a waiting request is woken by a release instead of polling the database", async () => {
    let claims = 0;
    const counting = (db: Db) =>
      new Proxy(db, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (prop === "$queryRaw") {
            return (strings: TemplateStringsArray, ...values: unknown[]) => {
              if (strings.join("?").includes("SET state = 'busy'")) claims++;
              return target.$queryRaw(strings, ...values);
            };
          }
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    const p = await pool(9, { maxSessionsPerModel: 1, acquireTimeoutMs: 3_000 }, counting);
    const onlyNear = { exclude: new Set([address(FAR)]) };
    const held = await p.manager.acquire(model, onlyNear);
    claims = 0;
    expect(await p.manager.acquire(model, onlyNear).catch((e: unknown) => e)).toMatchObject({ code: "no_provider_available" });
    // Three seconds at the cap: a claim attempt at the start and one per slow poll, not one every 200 ms.
    expect(claims).toBeLessThanOrEqual(3);

    const waiting = p.manager.acquire(model, onlyNear);
    await p.manager.release(held, "ok");
    const woken = await waiting;
    expect(woken.rowId).toBe(held.rowId);
    await p.manager.release(woken, "ok");
  }, SLOW);
});
