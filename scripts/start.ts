// `npm start` / `npm run dev`: the whole local marketplace in one command.
//   CHAIN=local (default): anvil + contracts, the demo model and a provider node serving it for the
//   seeded demo provider, embedded PGlite, migrations, Next.js.
//   CHAIN/RPC_URL pointing at a real network: deploys nothing, serves the app.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { env, EnvError } from "@/lib/env";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { demoOffer, startLocalMarketplace } from "@/lib/chain/local-marketplace";
import { formatMorPerHour } from "@/lib/chain/format";
import { applyMigrations } from "@/lib/db/migrate";
import { startPgliteServer } from "@/lib/db/pglite-server";
import { redactUrls } from "@/lib/redact";
import { buildIsCurrent, recordBuild } from "./lib/build-stamp";
import { logger } from "./lib/log";
import { onShutdownSignal } from "./lib/signals";

const root = path.resolve(import.meta.dirname, "..");
// A .env file is optional; real environment variables win over it.
if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));
const dev = process.argv.includes("--dev");
const log = logger("start");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

type Stoppable = { name: string; stop: () => Promise<void> };
const running: Stoppable[] = [];
let shuttingDown = false;

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    // Stop in reverse start order: the app first, the chain last (anvil writes its state on exit).
    for (const part of running.reverse()) {
      try {
        await part.stop();
        log.info(`stopped ${part.name}`);
      } catch (error) {
        log.error(`failed to stop ${part.name}: ${(error as Error).message}`);
      }
    }
  }
  process.exit(code);
}

/** A TypeScript entry point run by node itself (not through the tsx wrapper, which may not relay SIGTERM). */
const tsEntry = (script: string, ...args: string[]) => ["--import", "tsx", path.join(root, "scripts", script), ...args];

const children = new Set<ChildProcess>();
// However this process ends, its children end with it (anvil has its own hook in lib/chain/anvil.ts).
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
});

/** "was killed by SIGKILL" / "exited with code 1": what ended a part, for the one line that says why everything stops. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `was killed by ${signal}`;
  return code === 0 ? "exited (code 0) although it should keep running" : `exited with code ${code}`;
}

/** A part stopped on its own: say which and why, then stop the rest (in reverse start order). */
function partStopped(name: string, pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): void {
  if (shuttingDown) return;
  const rest = running.map((p) => p.name).filter((n) => n !== name);
  log.error(`${name}${pid ? ` (pid ${pid})` : ""} ${describeExit(code, signal)}; stopping the rest${rest.length ? ` (${rest.reverse().join(", ")})` : ""}`);
  void shutdown(code || 1);
}

function runChild(name: string, args: string[], childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: "inherit" });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  running.push({
    name,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  });
  child.once("exit", (code, signal) => partStopped(name, child.pid, code, signal));
  return child;
}

function runToCompletion(args: string[], childEnv: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: "inherit" });
    running.push({ name: "build", stop: async () => void child.kill("SIGTERM") });
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(" ")} failed with code ${code}`))));
  });
}

async function main() {
  const config = env();
  const dataDir = path.resolve(root, config.DATA_DIR);
  // NEXT_MANUAL_SIG_HANDLE: instrumentation.ts flushes the gateway's bookkeeping before exiting.
  const appEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_MANUAL_SIG_HANDLE: "true" };

  if (config.CHAIN === "local" && !config.RPC_URL) {
    const chainLog = logger("chain");
    const providerPort = Number(config.PROVIDER_LISTEN_ADDRESS.split(":").pop());
    const providerEndpoint = `127.0.0.1:${providerPort}`;
    const { anvil, market } = await startLocalMarketplace({ dataDir, port: config.ANVIL_PORT, providerEndpoint, onNotice: chainLog.info });
    running.push({ name: "anvil", stop: anvil.stop });
    void anvil.exited.then(({ code, signal }) => partStopped("anvil", anvil.pid, code, signal));
    const { deployment, demo } = market;
    chainLog.info(`anvil (chain id 31337) listening on ${anvil.rpcUrl}, state in ${path.relative(root, dataDir)}/chain`);
    chainLog.info(`${market.reused ? "reusing" : "deployed"} Compute Node at ${deployment.diamond}, MOR token at ${deployment.mor}`);
    chainLog.info(`demo provider ${demo.provider} offers ${demoOffer.model.name} at ${formatMorPerHour(demoOffer.pricePerSecond)} (bid ${demo.bidId})`);
    const chainEnv = { CHAIN: "local", RPC_URL: anvil.rpcUrl, DIAMOND_ADDRESS: deployment.diamond, MOR_TOKEN_ADDRESS: deployment.mor };
    // The gateway's wallet: a funded dev account of its own (#2), unless one was configured.
    Object.assign(appEnv, chainEnv, { GATEWAY_PRIVATE_KEY: config.GATEWAY_PRIVATE_KEY ?? devPrivateKey(devAccounts[2]) });

    // The demo provider serves inference: a deterministic demo model (not an LLM) behind a real provider node.
    runChild("demo model", tsEntry("demo-model.ts", "--port", String(config.DEMO_MODEL_PORT), "--model", demoOffer.model.name), process.env);
    const modelsConfig = {
      models: [
        {
          modelId: demo.modelId,
          modelName: demoOffer.model.name,
          apiType: "openai",
          apiUrl: `http://127.0.0.1:${config.DEMO_MODEL_PORT}/v1/chat/completions`,
          concurrentSlots: 0,
        },
      ],
    };
    runChild("provider node", tsEntry("provider.ts", "serve", "--listen", providerEndpoint), {
      ...process.env,
      ...chainEnv,
      PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[demoOffer.providerAccountIndex]),
      MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfig),
    });
  } else {
    logger("chain").info(`using ${config.CHAIN} through ${config.RPC_URL ? redactUrls(config.RPC_URL) : "its default public RPC"}; deploying nothing`);
  }

  const dbLog = logger("db");
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const pglite = await startPgliteServer({ dataDir: path.join(dataDir, "pglite"), port: config.PGLITE_PORT });
    running.push({ name: "embedded database", stop: pglite.stop });
    databaseUrl = pglite.url;
    dbLog.info(`embedded PostgreSQL (PGlite) in ${path.relative(root, dataDir)}/pglite, served on 127.0.0.1:${config.PGLITE_PORT}`);
  } else {
    dbLog.info(`using PostgreSQL at ${new URL(databaseUrl).host}`);
  }
  const applied = await applyMigrations(databaseUrl);
  dbLog.info(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema is up to date");
  // The app reaches the embedded database through PGLITE_PORT, not DATABASE_URL: lib/db keeps one
  // connection to PGlite (one backend, one query at a time; its server refuses clients past a few)
  // and a PostgreSQL-sized pool only for a DATABASE_URL.
  if (config.DATABASE_URL) appEnv.DATABASE_URL = config.DATABASE_URL;
  else appEnv.PGLITE_PORT = String(config.PGLITE_PORT);

  const appLog = logger("app");
  if (dev) {
    runChild("next dev", [nextBin, "dev", "--port", String(config.PORT)], { ...appEnv, NODE_ENV: "development" });
  } else {
    if (buildIsCurrent(root)) {
      appLog.info("build is up to date");
    } else {
      appLog.info("building the app (next build)…");
      await runToCompletion([nextBin, "build"], { ...appEnv, NODE_ENV: "production" });
      running.pop();
      recordBuild(root);
    }
    // `next start` serves in its own process (titled next-server): killing next-server ends this child.
    runChild("next start", [nextBin, "start", "--port", String(config.PORT)], { ...appEnv, NODE_ENV: "production" });
  }
  appLog.info(`serving on http://localhost:${config.PORT} (Ctrl-C stops everything)`);
}

onShutdownSignal(() => shutdown(0));

main().catch((error: unknown) => {
  log.error(error instanceof EnvError ? error.message : `start failed: ${(error as Error).stack ?? error}`);
  void shutdown(1);
});
