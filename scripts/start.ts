// `npm start` / `npm run dev`: the whole local marketplace in one command.
//   CHAIN=local (default): anvil + contracts + demo provider, embedded PGlite, migrations, Next.js.
//   CHAIN/RPC_URL pointing at a real network: deploys nothing, serves the app.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { env, EnvError } from "@/lib/env";
import { startAnvil } from "@/lib/chain/anvil";
import { localDeploymentPath } from "@/lib/chain/config";
import { demoOffer, ensureLocalMarketplace } from "@/lib/chain/local-marketplace";
import { formatMorPerHour } from "@/lib/chain/format";
import { applyMigrations } from "@/lib/db/migrate";
import { startPgliteServer } from "@/lib/db/pglite-server";
import { buildIsCurrent, recordBuild } from "./lib/build-stamp";
import { logger } from "./lib/log";

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

function runChild(name: string, args: string[], childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: "inherit" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  running.push({
    name,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  });
  child.once("exit", (code, signal) => {
    if (!shuttingDown) {
      log.error(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void shutdown(code || 1);
    }
  });
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
  const appEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

  if (config.CHAIN === "local" && !config.RPC_URL) {
    const chainLog = logger("chain");
    const anvil = await startAnvil({ port: config.ANVIL_PORT, stateFile: path.join(dataDir, "chain", "anvil-state.json"), silent: true });
    running.push({ name: "anvil", stop: anvil.stop });
    chainLog.info(`anvil (chain id 31337) listening on ${anvil.rpcUrl}, state in ${path.relative(root, dataDir)}/chain`);
    const market = await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile: localDeploymentPath(dataDir) });
    const { deployment, demo } = market;
    chainLog.info(`${market.reused ? "reusing" : "deployed"} Compute Node at ${deployment.diamond}, MOR token at ${deployment.mor}`);
    chainLog.info(`demo provider ${demo.provider} offers ${demoOffer.model.name} at ${formatMorPerHour(demoOffer.pricePerSecond)} (bid ${demo.bidId})`);
    Object.assign(appEnv, { RPC_URL: anvil.rpcUrl, DIAMOND_ADDRESS: deployment.diamond, MOR_TOKEN_ADDRESS: deployment.mor });
  } else {
    logger("chain").info(`using ${config.CHAIN} through ${config.RPC_URL ?? "its default public RPC"}; deploying nothing`);
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
  appEnv.DATABASE_URL = databaseUrl;

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
    runChild("next start", [nextBin, "start", "--port", String(config.PORT)], { ...appEnv, NODE_ENV: "production" });
  }
  appLog.info(`serving on http://localhost:${config.PORT} (Ctrl-C stops everything)`);
}

process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));

main().catch((error: unknown) => {
  log.error(error instanceof EnvError ? error.message : `start failed: ${(error as Error).stack ?? error}`);
  void shutdown(1);
});
