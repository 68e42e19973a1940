// The /status pinger (lib/gateway/provider-pinger.ts) against real sockets: a real provider node
// answers a MOR-RPC ping, a closed port is shown down, a server that accepts and never answers hits
// the per-ping deadline, and no more pings than the concurrency limit are ever in flight.
import net from "node:net";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "@/lib/chain/anvil";
import { morRpcPing, ProviderPinger, type PingFn, type PingTarget } from "@/lib/gateway/provider-pinger";
import { Cleanup, modelIdFor, modelsConfig, startChain, startDemo, startProvider, type TestChain } from "../provider/fixture";

const cleanup = new Cleanup();
let chain: TestChain;
let providerEndpoint: string;
const provider = devAccounts[1].address;
const stranger = devAccounts[5].address;

/** A TCP server that accepts connections and never writes; counts the connections. */
async function silentServer(): Promise<{ endpoint: string; accepted: () => number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => sockets.delete(socket));
    socket.resume(); // read the ping, answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, accepted: () => accepted };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  const node = await startProvider(cleanup, chain, { providerIndex: 1, models: modelsConfig([{ modelId: modelIdFor(1, "pinged"), url: demo.url }]) });
  providerEndpoint = node.endpoint;
});
afterAll(() => cleanup.run());

describe("a ping round", () => {
  it("shows a real provider up with its latency and version, and a closed port down", async () => {
    const dead = await closedPort();
    const targets: PingTarget[] = [
      { provider, endpoint: providerEndpoint },
      { provider, endpoint: dead },
    ];
    // A deadline far above any real answer: this test is about the outcome, not the speed.
    const pinger = new ProviderPinger({ allowPrivate: true, targets: async () => targets, deadlineMs: 20_000 });
    expect(pinger.latest()).toBeUndefined();
    const round = await pinger.checkNow();
    expect(pinger.latest()).toBe(round);
    const byEndpoint = new Map(round.providers.map((p) => [p.endpoint, p]));

    expect(byEndpoint.get(providerEndpoint)).toMatchObject({ up: true, version: "v0.1.0-ts", provider });
    expect(byEndpoint.get(providerEndpoint)?.latencyMs).toBeGreaterThan(0);
    expect(byEndpoint.get(dead)).toMatchObject({ up: false, error: expect.stringMatching(/ECONNREFUSED|refused/i) });
    expect(byEndpoint.get(dead)?.latencyMs).toBeUndefined();
  });

  it("shows a server that accepts and never answers down at the deadline", async () => {
    const silent = await silentServer();
    const round = await new ProviderPinger({ allowPrivate: true, targets: async () => [{ provider, endpoint: silent.endpoint }], deadlineMs: 300 }).checkNow();
    expect(round.providers).toEqual([expect.objectContaining({ up: false, error: "no answer within 300 ms" })]);
    expect(silent.accepted()).toBe(1);
  });

  it("shows a provider down when the pong is signed by another key than the bid's provider", async () => {
    const round = await new ProviderPinger({ allowPrivate: true, targets: async () => [{ provider: stranger, endpoint: providerEndpoint }], deadlineMs: 20_000 }).checkNow();
    expect(round.providers).toEqual([expect.objectContaining({ up: false, error: expect.stringContaining("not signed by provider") })]);
  });

  it("keeps at most `concurrency` pings in flight and checks each provider once per round", async () => {
    const silent = await silentServer();
    // Five providers behind one silent endpoint: distinct targets, one server to count connections.
    const targets = [2, 3, 4, 5, 6].map((i) => ({ provider: devAccounts[i].address as Address, endpoint: silent.endpoint }));
    // The real MOR-RPC ping, counted from its call until it has settled (socket closed).
    const real = morRpcPing();
    let inFlight = 0;
    let maxInFlight = 0;
    const counted: PingFn = async (target, signal) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await real(target, signal);
      } finally {
        inFlight--;
      }
    };
    const pinger = new ProviderPinger({ allowPrivate: true, targets: async () => [...targets, targets[0]], deadlineMs: 200, concurrency: 2, ping: counted });
    const round = await pinger.checkNow();
    expect(round.providers).toHaveLength(5);
    expect(round.providers.every((p) => !p.up && p.error === "no answer within 200 ms")).toBe(true);
    expect(silent.accepted()).toBe(5);
    expect(maxInFlight).toBe(2);
    expect(inFlight).toBe(0);
  });

  it("reports a catalog it cannot read and keeps the last known providers", async () => {
    let fail = false;
    const pinger = new ProviderPinger({
      allowPrivate: true,
      targets: async () => {
        if (fail) throw new Error("chain unreachable");
        return [{ provider, endpoint: providerEndpoint }];
      },
    });
    const first = await pinger.checkNow();
    fail = true;
    const second = await pinger.checkNow();
    expect(second.error).toBe("the model catalog could not be read from the chain");
    expect(second.providers).toEqual(first.providers);
  });
});

describe("on a live network", () => {
  it("does not ping loopback, private or local-only endpoints, nor malformed ones", async () => {
    const silent = await silentServer();
    const targets: PingTarget[] = [
      { provider, endpoint: providerEndpoint },
      { provider, endpoint: silent.endpoint },
      { provider, endpoint: "10.0.0.5:22" },
      { provider, endpoint: "localhost:3333" },
      { provider, endpoint: "[::1]:3333" },
      { provider, endpoint: "not an endpoint" },
    ];
    const round = await new ProviderPinger({ targets: async () => targets, deadlineMs: 500 }).checkNow();
    const errors = round.providers.map((p) => [p.endpoint, p.up, p.skipped]);
    expect(errors).toEqual([
      [providerEndpoint, false, "a private or loopback address"],
      [silent.endpoint, false, "a private or loopback address"],
      ["10.0.0.5:22", false, "a private or loopback address"],
      ["localhost:3333", false, "a private or loopback address"],
      ["[::1]:3333", false, "a private or loopback address"],
      ["not an endpoint", false, "the registered endpoint is not host:port"],
    ]);
    expect(silent.accepted()).toBe(0); // nothing was dialled
  });
});

describe("the interval", () => {
  it("runs a first round on start and does not overlap rounds", async () => {
    const silent = await silentServer();
    const pinger = new ProviderPinger({ allowPrivate: true, targets: async () => [{ provider, endpoint: silent.endpoint }], deadlineMs: 100, intervalMs: 60_000 });
    pinger.start();
    pinger.start(); // a second start is a no-op
    const joined = pinger.checkNow(); // joins the round in progress
    const round = await joined;
    pinger.stop();
    expect(round.providers).toHaveLength(1);
    expect(silent.accepted()).toBe(1);
  });
});
