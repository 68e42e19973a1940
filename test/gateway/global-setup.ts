// Vitest globalSetup of the gateway project: the gateway tests run the real `next start`, so the
// app is built first, once per run and only when its sources changed since the last build
// (scripts/lib/build-stamp.ts, as `npm start` decides). The Playwright run after vitest reuses it.
// A lock keeps two test runs in this checkout from building into the same .next at once.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isProcessAlive } from "@/lib/db/pglite-server";
import { buildIsCurrent, recordBuild } from "../../scripts/lib/build-stamp";

const root = path.resolve(import.meta.dirname, "../..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const LOCK_WAIT_MS = 15 * 60_000;

export default async function setup(): Promise<void> {
  if (buildIsCurrent(root)) return;
  const release = await lockBuild();
  try {
    if (buildIsCurrent(root)) return; // built by the run that held the lock
    const started = Date.now();
    console.log("[gateway tests] the app's sources changed since the last build: running next build…");
    await nextBuild();
    recordBuild(root);
    console.log(`[gateway tests] next build took ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    release();
  }
}

function nextBuild(): Promise<void> {
  // Only what a build needs: neither the caller's app settings nor a developer's secrets go in.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  const child = spawn(process.execPath, [nextBin, "build"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`next build failed (${signal ?? `code ${code}`}):\n${output.slice(-8000)}`)),
    );
  });
}

/** A directory lock in the temp dir, named after this checkout; a lock whose owner died is taken over. */
async function lockBuild(): Promise<() => void> {
  const name = crypto.createHash("sha256").update(root).digest("hex").slice(0, 16);
  const dir = path.join(os.tmpdir(), `morpheus-next-build-${name}.lock`);
  const owner = path.join(dir, "pid");
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(owner, String(process.pid));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number(fs.existsSync(owner) ? fs.readFileSync(owner, "utf8") : "0");
    if (pid && !isProcessAlive(pid)) {
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another next build (pid ${pid || "unknown"}) held ${dir} for ${LOCK_WAIT_MS / 60_000} min`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

