// Which address the failed-authentication limit counts (issue 10): one a client cannot choose.
// `next start` keeps a client-sent X-Forwarded-For, so without our server hook a client rotating
// that header with wrong keys was never refused. Two gateways of the built app: one with nothing
// in front (the socket's address counts), one configured behind one reverse proxy
// (TRUST_PROXY_HOPS=1), sent exactly what such a proxy forwards: the client's own header with the
// address the proxy saw appended.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanup, createKey, showGatewayOutputOnFailure, startChain, startDatabase, startGateway, type GatewayProcess } from "./fixture";

const LIMIT = 5;
const cleanup = new Cleanup();
let direct: GatewayProcess;
let proxied: GatewayProcess;
let key: string;
let wrongKey: string;

beforeAll(async () => {
  const chain = await startChain(cleanup);
  const database = await startDatabase(cleanup);
  // No inference here: only the key check and its per-address limit.
  const env = { GATEWAY_PRIVATE_KEY: "", GATEWAY_AUTH_FAILURES_PER_MINUTE: String(LIMIT) };
  [direct, proxied] = await Promise.all([
    startGateway(cleanup, { chain, database, instanceId: "client-address-direct", env }),
    startGateway(cleanup, { chain, database, instanceId: "client-address-proxied", env: { ...env, TRUST_PROXY_HOPS: "1" } }),
  ]);
  key = await createKey(database.db);
  wrongKey = key.slice(0, -4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
});
afterAll(() => cleanup.run());
showGatewayOutputOnFailure(() => [direct, proxied]);

function listModels(gateway: GatewayProcess, bearer: string, forwardedFor?: string): Promise<Response> {
  return fetch(`${gateway.baseURL}/models`, {
    headers: { authorization: `Bearer ${bearer}`, ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
    signal: AbortSignal.timeout(10_000),
  });
}

async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("rate_limit_exceeded");
  expect(body.error.message).toMatch(/invalid API key from your address/);
}

describe("the failed-authentication limit per client address", () => {
  it("with nothing in front: a client rotating X-Forwarded-For with wrong keys is still refused after the limit, even with a right key", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await listModels(direct, wrongKey, `198.51.100.${i}`)).status).toBe(401);
    await expectRefused(await listModels(direct, key, "198.51.100.200"));
    await expectRefused(await listModels(direct, key, "203.0.113.1, 198.51.100.201"));
    await expectRefused(await listModels(direct, key));
  });

  it("behind one trusted proxy (TRUST_PROXY_HOPS=1): the address the proxy appended is counted, not what the client wrote before it", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await listModels(proxied, wrongKey, `198.51.100.${i}, 203.0.113.9`)).status).toBe(401);
    await expectRefused(await listModels(proxied, key, "198.51.100.77, 203.0.113.9"));
    // Another client, even one claiming the refused address, is served.
    expect((await listModels(proxied, key, "203.0.113.10")).status).toBe(200);
    expect((await listModels(proxied, key, "203.0.113.9, 203.0.113.10")).status).toBe(200);
  });
});
