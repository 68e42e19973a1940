// Everything `npm run bench` measures, started on free loopback ports: anvil with the marketplace,
// two demo models (one answering at once, one pacing its stream at 10 chunks/s), a provider node
// serving both, embedded PGlite, the built app under `next start` as the gateway, and Portkey's
// open-source gateway as the reference one-hop gateway. Each server runs in its own process, so
// its CPU time and memory can be read from /proc; this process only generates load.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { foundry } from "viem/chains";
import { createApiKey } from "@/lib/auth/api-keys";
import { devAccounts, devPrivateKey, startAnvil, type Anvil } from "@/lib/chain/anvil";
import { deployMarketplace, seedDemoProvider, type DeployedMarketplace } from "@/lib/chain/deploy";
import { createConsumer, openProviderSession, type Consumer, type OpenedSession } from "@/lib/consumer";
import { createPrismaClient } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { freePort } from "../../test/support/ports";
import { buildIsCurrent, recordBuild } from "../lib/build-stamp";

export const root = path.resolve(import.meta.dirname, "../..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const portkeyBin = path.join(root, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
const tsEntry = (script: string) => ["--import", "tsx", path.join(root, "scripts", script)];

export const FAST_MODEL = "bench-fast";
export const PACED_MODEL = "bench-paced";
/** The paced demo model's delay before each chunk: 10 chunks/s per stream. */
export const PACED_TOKEN_DELAY_MS = 100;
const PRICE = 10n ** 14n;
const PROVIDER = 3;
const GATEWAY_WALLET = 2;
const DIRECT_CONSUMER = 5;

export interface Child {
  name: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export interface Stack {
  anvil: Anvil;
  deployed: DeployedMarketplace;
  demoFast: Child & { url: string };
  demoPaced: Child & { url: string };
  provider: Child & { endpoint: string };
  gateway: Child & { url: string; apiKey: string };
  portkey: (Child & { url: string }) | { error: string };
  /** The provider alone: a MOR-RPC consumer with sessions opened on-chain straight to it. */
  direct: { consumer: Consumer; sessions: OpenedSession[] };
  fastModelId: Hex;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** The gateway's GATEWAY_MAX_SESSIONS_PER_MODEL. */
  sessionCap: number;
  /** Sessions the direct consumer opens to the provider. */
  directSessions: number;
  /** Directory for --cpu-prof output of the gateway and the provider node; no profiling when unset. */
  profileDir?: string;
  /** Extra node flags for the gateway process (e.g. --heapsnapshot-signal=SIGUSR2 to look at its memory). */
  gatewayNodeFlags?: string[];
  log: (message: string) => void;
}

const stops: Array<() => Promise<void>> = [];
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** A server child process; resolves once its output matches `ready` (bounded wait). */
async function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 120_000): Promise<Child & { match: RegExpExecArray }> {
  // Under setpriv(1) where there is one: the kernel kills the child if the bench dies first.
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((candidate) => fs.existsSync(candidate));
  const command = [process.execPath, ...args];
  const [file, ...rest] = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...command] : command;
  const child = spawn(file, rest, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(killer);
    }
  };
  stops.push(stop);
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output.slice(-4000)}`));
    });
  });
  return { name, pid: child.pid!, output: () => output, stop, match };
}

function clientFor(rpcUrl: string): PublicClient {
  return createPublicClient({ chain: foundry, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient;
}

function buildApp(log: (message: string) => void): Promise<void> {
  if (buildIsCurrent(root)) return Promise.resolve();
  log("the app's sources changed since the last build: running next build…");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  const child = spawn(process.execPath, [nextBin, "build"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`next build failed:\n${output.slice(-6000)}`));
      recordBuild(root);
      resolve();
    });
  });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { log } = options;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-bench-"));
  stops.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  // One directory per process: every thread writes its own profile there (the ESM loader thread
  // of tsx or Next's too); the summary takes the busiest.
  const profileDirOf = (name: string) => {
    const dir = path.join(options.profileDir!, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const profileFlags = (name: string) => (options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDirOf(name)}`] : []);

  const build = buildApp(log); // in parallel with the chain set-up

  const anvil = await startAnvil({ silent: true });
  stops.push(() => anvil.stop());
  const deployed = await deployMarketplace({ rpcUrl: anvil.rpcUrl, deployer: devAccounts[0] });
  const chainEnv = { CHAIN: "local", RPC_URL: anvil.rpcUrl, DIAMOND_ADDRESS: deployed.diamond, MOR_TOKEN_ADDRESS: deployed.mor };
  log(`anvil on ${anvil.rpcUrl}, marketplace at ${deployed.diamond}`);

  const demo = async (model: string, delay: number) => {
    const port = await freePort();
    const child = await startChild(`demo model ${model}`, [...tsEntry("demo-model.ts"), "--port", String(port), "--model", model, "--token-delay-ms", String(delay)], baseEnv, /listening on/);
    return { ...child, url: `http://127.0.0.1:${port}/v1` };
  };
  const [demoFast, demoPaced] = await Promise.all([demo(FAST_MODEL, 0), demo(PACED_MODEL, PACED_TOKEN_DELAY_MS)]);

  const providerPort = await freePort();
  const endpoint = `127.0.0.1:${providerPort}`;
  const seed = (name: string) =>
    seedDemoProvider({
      rpcUrl: anvil.rpcUrl,
      diamond: deployed.diamond,
      mor: deployed.mor,
      funder: devAccounts[0],
      provider: devAccounts[PROVIDER],
      endpoint,
      model: { name, tags: ["bench"] },
      pricePerSecond: PRICE,
    });
  const fast = await seed(FAST_MODEL);
  const paced = await seed(PACED_MODEL);
  const modelsConfig = {
    models: [
      { modelId: fast.modelId, modelName: FAST_MODEL, apiType: "openai", apiUrl: `${demoFast.url}/chat/completions`, concurrentSlots: 0 },
      { modelId: paced.modelId, modelName: PACED_MODEL, apiType: "openai", apiUrl: `${demoPaced.url}/chat/completions`, concurrentSlots: 0 },
    ],
  };
  const providerChild = await startChild(
    "provider node",
    [...profileFlags("provider"), ...tsEntry("provider.ts"), "serve", "--listen", endpoint],
    {
      ...baseEnv,
      ...chainEnv,
      PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[PROVIDER]),
      MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfig),
      // The gateway holds one connection per running prompt (plus its pings): all from one address.
      PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: String(options.sessionCap + 64),
      PROVIDER_MAX_CONNECTIONS: String(Math.max(1024, 2 * (options.sessionCap + 64))),
    },
    / over MOR-RPC on /,
  );
  const provider = { ...providerChild, endpoint };

  const pglitePort = await freePort();
  const pglite = await startChild("PGlite", [...tsEntry("pglite-server.ts"), "--data-dir", path.join(dataDir, "pglite"), "--port", String(pglitePort)], baseEnv, /listening: (\S+)/);
  const databaseUrl = pglite.match[1];
  await applyMigrations(databaseUrl);
  const db = createPrismaClient(databaseUrl, { poolSize: 1 });
  const { key: apiKey } = await createApiKey(db, { owner: devAccounts[9].address, name: "bench", rpmLimit: 2_000_000_000, tpmLimit: 2_000_000_000 });
  await db.$disconnect();

  await build;
  const gatewayPort = await freePort();
  const gatewayChild = await startChild(
    "gateway (next start)",
    [...profileFlags("gateway"), ...(options.gatewayNodeFlags ?? []), nextBin, "start", "--port", String(gatewayPort), "--hostname", "127.0.0.1"],
    {
      ...baseEnv,
      ...chainEnv,
      NEXT_MANUAL_SIG_HANDLE: "true",
      PGLITE_PORT: String(pglitePort),
      DATA_DIR: path.join(dataDir, "gateway"),
      GATEWAY_PRIVATE_KEY: devPrivateKey(devAccounts[GATEWAY_WALLET]),
      GATEWAY_INSTANCE_ID: "bench",
      GATEWAY_MAX_SESSIONS_PER_MODEL: String(options.sessionCap),
      // The wallet's other limits out of the way of the cap: every paced stream gets its own session.
      GATEWAY_MAX_SESSIONS: String(2 * options.sessionCap),
      GATEWAY_MAX_OPENINGS_PER_PROVIDER_PER_MINUTE: String(2 * options.sessionCap),
      GATEWAY_MAX_CONCURRENT_PER_KEY: String(2 * options.sessionCap),
      GATEWAY_ACQUIRE_TIMEOUT_MS: "120000",
      GATEWAY_SESSION_SECONDS: "3600",
      GATEWAY_SESSION_IDLE_SECONDS: "3600",
    },
    /Ready in|started server/i,
  );
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const gateway = { ...gatewayChild, url: gatewayUrl, apiKey };
  log(`gateway (next start, pid ${gateway.pid}) on ${gatewayUrl}`);

  // Portkey's gateway binds every interface by default: a preload pins its listener to loopback.
  let portkey: Stack["portkey"];
  if (!fs.existsSync(portkeyBin)) {
    portkey = { error: `${path.relative(root, portkeyBin)} is missing (npm install)` };
  } else {
    try {
      const port = await freePort();
      const child = await startChild(
        "Portkey gateway",
        ["--import", path.join(root, "scripts", "bench", "loopback.mjs"), portkeyBin, `--port=${port}`, "--headless"],
        baseEnv,
        /Ready for connections/,
        60_000,
      );
      portkey = { ...child, url: `http://127.0.0.1:${port}` };
    } catch (error) {
      portkey = { error: (error as Error).message.split("\n")[0] };
    }
  }

  // The provider alone: our own consumer (another dev account) with sessions opened on-chain.
  const consumer = await createConsumer(
    { client: clientFor(anvil.rpcUrl), diamond: deployed.diamond, mor: deployed.mor },
    devPrivateKey(devAccounts[DIRECT_CONSUMER]),
    devAccounts[DIRECT_CONSUMER],
  );
  const sessions: OpenedSession[] = [];
  for (let i = 0; i < options.directSessions; i++) {
    sessions.push(await openProviderSession(consumer, { bidId: fast.bidId, provider: devAccounts[PROVIDER].address, endpoint, pricePerSecond: PRICE }, { durationSeconds: 3600n }));
  }

  return {
    anvil,
    deployed,
    demoFast,
    demoPaced,
    provider,
    gateway,
    portkey,
    direct: { consumer, sessions },
    fastModelId: fast.modelId,
    async stop() {
      // Last started first: the gateway flushes its records before the database goes.
      for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    },
  };
}
