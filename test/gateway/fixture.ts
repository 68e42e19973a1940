// Shared set-up of the gateway tests: the gateway as it runs in production — `next start` child
// processes of the built app, each on its own port with its own environment — over a real
// database (PGlite, or PostgreSQL with TEST_POSTGRES_URL) and the chain, providers and demo models
// of test/provider/fixture.ts. Plus what the tests observe the gateway with: API keys, the
// official openai SDK, a recorder of what reaches the demo model, and a proxy in front of a
// provider node that sees every prompt it is sent. Everything started here is registered with the
// file's Cleanup, so afterAll stops it (gateway processes first), also when a test failed.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import OpenAI from "openai";
import { parseEther, type Hex } from "viem";
import { beforeEach } from "vitest";
import { createApiKey, type CreateApiKeyInput } from "@/lib/auth";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { postBid, registerProvider, walletFor } from "@/lib/chain/writes";
import { createPrismaClient, type Db, type UsageRecord } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { JsonObjectStream } from "@/lib/morrpc";
import { pgliteBackend, type Backend } from "../db/backends";
import { eventually, root, tempDir, type Cleanup, type TestChain } from "../provider/fixture";
import { freePort } from "../support/ports";

export {
  CHAT,
  Cleanup,
  cliEnv,
  collect,
  consumerFor,
  eventually,
  modelIdFor,
  modelsConfig,
  modelsConfigJson,
  PRICE,
  seedProvider,
  startChain,
  startDemo,
  startProvider,
  startProviderProcess,
  tempDir,
  type InProcessProvider,
  type ProviderProcess,
  type TestChain,
} from "../provider/fixture";

/** The gateway wallet of the tests (as `npm start` uses #2); providers use #3 and up. */
export const GATEWAY_WALLET = 2;
export const gatewayAddress = devAccounts[GATEWAY_WALLET].address;

// --- database ---------------------------------------------------------------------------------

export interface TestDatabase {
  url: string;
  /** The tests' own client: API keys, and assertions on what the gateways wrote. */
  db: Db;
  /** How the app is pointed at it, as scripts/start.ts does: DATABASE_URL, or PGLITE_PORT for the embedded database. */
  appEnv: Record<string, string>;
}

/** A fresh, migrated database: embedded PGlite (served from this process, as `npm start` does), or PostgreSQL. */
export async function startDatabase(cleanup: Cleanup, backend: Backend = pgliteBackend): Promise<TestDatabase> {
  const fresh = await backend.fresh();
  cleanup.add(() => fresh.drop());
  await applyMigrations(fresh.url);
  const db = createPrismaClient(fresh.url, { poolSize: 1 });
  cleanup.add(() => db.$disconnect());
  const appEnv: Record<string, string> = backend === pgliteBackend ? { PGLITE_PORT: new URL(fresh.url).port } : { DATABASE_URL: fresh.url };
  return { url: fresh.url, db, appEnv };
}

/** A new API key (the plaintext), owned by a wallet that is not part of the marketplace. */
export async function createKey(db: Db, input: Partial<CreateApiKeyInput> = {}): Promise<string> {
  const { key } = await createApiKey(db, { owner: devAccounts[9].address, name: "gateway tests", ...input });
  return key;
}

/**
 * The finished usage record of a request, once the gateway's batched writer has written it (the
 * claim of a session writes it as "running" first; the writer completes it).
 */
export function usageRecord(db: Db, requestId: string | null | undefined): Promise<UsageRecord> {
  if (!requestId) throw new Error("the response carried no x-request-id");
  return eventually(async () => db.usageRecord.findFirstOrThrow({ where: { requestId, status: { not: "running" } } }), { timeoutMs: 10_000 });
}

// --- gateway processes ----------------------------------------------------------------------------

const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

/** Every variable lib/env.ts reads, unset (empty) unless a test sets it: nothing leaks in from the shell or a .env file. */
const UNSET_APP_ENV = Object.fromEntries(
  [
    "RPC_URL",
    "DIAMOND_ADDRESS",
    "MOR_TOKEN_ADDRESS",
    "DATABASE_URL",
    "ANVIL_PORT",
    "PGLITE_PORT",
    "PROVIDER_PRIVATE_KEY",
    "PROVIDER_ADDRESS",
    "PROVIDER_LISTEN_ADDRESS",
    "MODELS_CONFIG_PATH",
    "MODELS_CONFIG_CONTENT",
    "DEMO_MODEL_PORT",
    "LLM_TIMEOUT_MS",
    "GATEWAY_DEFAULT_RPM",
    "GATEWAY_DEFAULT_TPM",
    "GATEWAY_RATE_LIMIT_SYNC_MS",
    "GATEWAY_APPROVE_SESSIONS",
    "API_KEY_REFRESH_MS",
    "GATEWAY_PRIVATE_KEY",
    "GATEWAY_INSTANCE_ID",
    "GATEWAY_SESSION_SECONDS",
    "GATEWAY_MAX_SESSIONS_PER_MODEL",
    "GATEWAY_SESSION_IDLE_SECONDS",
    "GATEWAY_RENEW_BEFORE_SECONDS",
    "GATEWAY_DIRECT_PAYMENT",
    "GATEWAY_PROVIDER_COOLDOWN_SECONDS",
    "GATEWAY_RECEIPT_GIVE_UP_SECONDS",
    "GATEWAY_FIRST_BYTE_TIMEOUT_MS",
    "GATEWAY_STREAM_IDLE_TIMEOUT_MS",
    "GATEWAY_MODEL_TIMEOUTS",
    "GATEWAY_LIVENESS_PING_MS",
    "GATEWAY_ACQUIRE_TIMEOUT_MS",
    "GATEWAY_MAINTENANCE_INTERVAL_MS",
    "GATEWAY_SESSION_PARK_MS",
    "GATEWAY_RATING_WEIGHTS",
    "GATEWAY_PROVIDER_ALLOWLIST",
    "GATEWAY_MAX_BODY_BYTES",
    "GATEWAY_AUTH_FAILURES_PER_MINUTE",
    "TRUST_PROXY_HOPS",
  ].map((name) => [name, ""]),
);

/**
 * The tests' defaults: a quick maintenance loop, sessions that are not closed for idleness unless
 * a test asks, the key cache polled before every request (a revocation applies to the next
 * request), and a small body limit. Sessions are parked between requests as in production, but
 * briefly: a test reading the pool from the database waits (`eventually`) a
 * few hundred ms for a used session to be back in the shared pool.
 */
export const TEST_GATEWAY_ENV = {
  GATEWAY_SESSION_SECONDS: "600",
  GATEWAY_MAX_SESSIONS_PER_MODEL: "4",
  GATEWAY_SESSION_IDLE_SECONDS: "600",
  GATEWAY_PROVIDER_COOLDOWN_SECONDS: "60",
  GATEWAY_FIRST_BYTE_TIMEOUT_MS: "15000",
  GATEWAY_ACQUIRE_TIMEOUT_MS: "30000",
  GATEWAY_MAINTENANCE_INTERVAL_MS: "200",
  GATEWAY_SESSION_PARK_MS: "300",
  GATEWAY_MAX_BODY_BYTES: "8192",
  API_KEY_REFRESH_MS: "0",
};

export interface GatewayOptions {
  chain: TestChain;
  database: TestDatabase;
  /** Names the instance in the shared pool; a restart reuses it. */
  instanceId: string;
  /** Overrides of TEST_GATEWAY_ENV (and anything else the app reads). */
  env?: Record<string, string>;
  /** Called with the status of each readiness probe before the gateway serves (503: its build failed). */
  onProbe?: (status: number) => void;
}

export interface GatewayProcess {
  instanceId: string;
  url: string;
  /** What the openai SDK gets as baseURL. */
  baseURL: string;
  pid: number;
  /** Everything the process printed (its gateway log), for assertions and failure messages. */
  output(): string;
  exited: Promise<void>;
  /** SIGTERM (the gateway then flushes its usage records and exits), and the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `next start` of the built app as a gateway (as scripts/start.ts launches it); resolves once it serves /api/v1. */
export async function startGateway(cleanup: Cleanup, options: GatewayOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...UNSET_APP_ENV,
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_MANUAL_SIG_HANDLE: "true",
    CHAIN: "local",
    RPC_URL: options.chain.anvil.rpcUrl,
    DIAMOND_ADDRESS: options.chain.deployed.diamond,
    MOR_TOKEN_ADDRESS: options.chain.deployed.mor,
    ...options.database.appEnv,
    DATA_DIR: tempDir(cleanup, "gateway-data-"),
    PORT: String(port),
    GATEWAY_PRIVATE_KEY: devPrivateKey(devAccounts[GATEWAY_WALLET]),
    GATEWAY_INSTANCE_ID: options.instanceId,
    ...TEST_GATEWAY_ENV,
    ...options.env,
  };
  const command = [process.execPath, nextBin, "start", "--port", String(port), "--hostname", "127.0.0.1"];
  // Under setpriv(1) where there is one (as lib/chain/anvil.ts runs anvil): the kernel kills the
  // gateway if the test process dies before its afterAll could.
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((candidate) => fs.existsSync(candidate));
  const [file, ...args] = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...command] : command;
  const child: ChildProcess = spawn(file, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  cleanup.add(async () => {
    if (running()) child.kill("SIGKILL");
    await exited;
  });

  const gateway: GatewayProcess = {
    instanceId: options.instanceId,
    url,
    baseURL: `${url}/api/v1`,
    pid: child.pid!,
    output: () => output,
    exited,
    async stop() {
      if (running()) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(killer);
      }
      return { code: child.exitCode, signal: child.signalCode };
    },
  };

  // Ready when /api/v1 answers a request without a key with 401: the server is up and the gateway
  // (pool recovery included) was built; a 503 means it failed to build (see its output).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running()) throw new Error(`gateway ${options.instanceId} exited (${child.signalCode ?? child.exitCode}) before serving:\n${output}`);
    const status = await fetch(`${url}/api/v1/models`, { signal: AbortSignal.timeout(5_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 401) return gateway;
    options.onProbe?.(status);
    if (Date.now() > deadline) throw new Error(`gateway ${options.instanceId} did not serve /api/v1 within 60 s (last status ${status}):\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** When a test of the file fails, prints the output of the gateways it had running (their logs say why). */
export function showGatewayOutputOnFailure(gateways: () => Array<GatewayProcess | undefined>): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const gateway of gateways()) if (gateway) console.error(`--- output of gateway ${gateway.instanceId} ---\n${gateway.output().slice(-30_000)}`);
    });
  });
}

/** The official SDK, unmodified, against a gateway; no retries, so every error reaches the test. */
export function openaiFor(gateway: GatewayProcess, apiKey: string, options: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({ apiKey, baseURL: gateway.baseURL, maxRetries: options.maxRetries ?? 0, timeout: 60_000 });
}

// --- providers --------------------------------------------------------------------------------

/** Registers dev account `providerIndex` at `endpoint` and posts its bid on an existing model (someone else's). */
export async function bidOnModel(
  chain: TestChain,
  { providerIndex, endpoint, modelId, price }: { providerIndex: number; endpoint: string; modelId: Hex; price: bigint },
): Promise<Hex> {
  const wallet = walletFor(chain.ctx, devAccounts[providerIndex]);
  await registerProvider(chain.ctx, wallet, { endpoint, stake: parseEther("10000") });
  return (await postBid(chain.ctx, wallet, { modelId, pricePerSecond: price })).bidId;
}

export interface UpstreamRecorder {
  /** Base URL (…/v1) to give the provider instead of the demo model's. */
  url: string;
  /** The JSON bodies the provider sent upstream, in order. */
  requests: Array<{ path: string; body: Record<string, unknown> }>;
}

/** An HTTP proxy in front of a demo model that records every request body the provider node sends it. */
export async function startUpstreamRecorder(cleanup: Cleanup, target: string): Promise<UpstreamRecorder> {
  const upstream = new URL(target);
  const requests: UpstreamRecorder["requests"] = [];
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    const body = Buffer.concat(parts);
    requests.push({ path: req.url ?? "", body: JSON.parse(body.toString("utf8")) as Record<string, unknown> });
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    forwarded.on("error", () => res.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}${upstream.pathname}`, requests };
}

export interface PromptAtProvider {
  sessionId: string;
  /** performance.now() when the prompt reached the provider, and when its reply ended (or the consumer left). */
  start: number;
  end?: number;
}

export interface SessionMonitor {
  /** host:port to register on-chain instead of the provider node's own. */
  endpoint: string;
  /** Every session.prompt that went through, in arrival order. */
  prompts: PromptAtProvider[];
  /** The most prompts ever in flight at once on one session (the provider must only ever see 1). */
  maxConcurrentPerSession(): number;
  /** Sessions that had two prompts in flight at once. */
  overlapping: Set<string>;
}

/**
 * A TCP proxy in front of a provider node that reads the session id of each MOR-RPC prompt
 * passing through (it is plaintext in the request) and tracks how many are in flight per
 * session: what the provider side sees, independent of the gateway's own bookkeeping.
 */
export async function startSessionMonitor(cleanup: Cleanup, providerEndpoint: string): Promise<SessionMonitor> {
  const [host, port] = [providerEndpoint.slice(0, providerEndpoint.lastIndexOf(":")), Number(providerEndpoint.split(":").pop())];
  const prompts: PromptAtProvider[] = [];
  const inFlight = new Map<string, number>();
  const overlapping = new Set<string>();
  let highest = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const provider = net.connect({ host, port });
    sockets.add(client).add(provider);
    const parser = new JsonObjectStream();
    let prompt: PromptAtProvider | undefined;
    let seenRequest = false;
    const finish = () => {
      if (!prompt || prompt.end !== undefined) return;
      prompt.end = performance.now();
      inFlight.set(prompt.sessionId, inFlight.get(prompt.sessionId)! - 1);
    };
    client.on("data", (chunk: Buffer) => {
      if (seenRequest) return;
      const [text] = parser.push(chunk);
      if (text === undefined) return;
      seenRequest = true;
      const request = JSON.parse(text) as { method?: string; params?: { sessionid?: string; sessionId?: string } };
      const sessionId = request.params?.sessionid ?? request.params?.sessionId;
      if (request.method !== "session.prompt" || !sessionId) return;
      prompt = { sessionId: sessionId.toLowerCase(), start: performance.now() };
      prompts.push(prompt);
      const count = (inFlight.get(prompt.sessionId) ?? 0) + 1;
      inFlight.set(prompt.sessionId, count);
      highest = Math.max(highest, count);
      if (count > 1) overlapping.add(prompt.sessionId);
    });
    client.pipe(provider);
    provider.pipe(client);
    provider.once("end", finish);
    for (const socket of [client, provider]) {
      socket.on("error", () => {}); // a peer reset is part of the traffic, not a test failure
      socket.once("close", () => {
        finish();
        sockets.delete(socket);
        client.destroy();
        provider.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    prompts,
    maxConcurrentPerSession: () => highest,
    overlapping,
  };
}

/** A TCP proxy that can stop answering, as a peer that went away does (connections dropped at once). */
export interface SwitchableProxy {
  /** host:port to use instead of the target's own. */
  endpoint: string;
  /** While false, every new connection is dropped on accept. */
  up: boolean;
  /** While true (and up), new connections are accepted and held: what is sent is read, nothing is answered (a wedged peer). */
  stall: boolean;
  /** Bytes passed on to the target so far (its clients' requests). */
  readonly sentBytes: number;
  /** Cuts every open connection (as a peer that died does); new ones follow `up`. */
  dropConnections(): void;
}

/** A plain TCP proxy in front of `target` (host:port): a provider node or the chain's RPC. */
export async function startSwitchableProxy(cleanup: Cleanup, target: string, { up = true } = {}): Promise<SwitchableProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const sockets = new Set<net.Socket>();
  let sentBytes = 0;
  const proxy = {
    endpoint: "",
    up,
    stall: false,
    get sentBytes() {
      return sentBytes;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
  };
  const server = net.createServer((client) => {
    if (!proxy.up) return void client.destroy();
    if (proxy.stall) {
      sockets.add(client);
      client.on("error", () => {});
      client.once("close", () => sockets.delete(client));
      client.resume();
      return;
    }
    const upstream = net.connect({ host, port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {}); // a peer reset is part of the traffic, not a test failure
      socket.once("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => (sentBytes += chunk.length));
    client.pipe(upstream).pipe(client);
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
