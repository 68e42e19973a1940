// The first run of a new user, as the README tells it: `npm start`, open the site, see the demo
// model's bid on /models, create a key with `npm run keys`, make one chat completion with it, stop.
// Run by CI right after `npm install` on a clean clone (scripts/first-run-check.ts) and by
// `npm test` (test/gateway/first-run.test.ts). It drives the real commands through npm, on ports
// and a data directory of its own, so it never touches a developer's running marketplace.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface FirstRunOptions {
  /** The checkout to run in. */
  root: string;
  /** Every port is derived from it (app = base, chain = base + 1, …). */
  portBase: number;
  /** How long `npm start` may take until the site answers (a cold `next build` included). */
  startTimeoutMs?: number;
  /** Progress lines (the default prints them). */
  log?: (line: string) => void;
}

export interface FirstRunResult {
  /** Every step, in order, with how long it took. */
  steps: { name: string; ms: number }[];
  /** What the demo model answered through the gateway. */
  reply: string;
}

export class FirstRunError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly output: string,
  ) {
    super(`first run failed at "${step}": ${message}`);
  }
}

const DEMO_MODEL = "morpheus-demo-chat";
const DEMO_PRICE = "0.36 MOR/h"; // the seeded bid (lib/chain/local-marketplace.ts)
const OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

export async function runFirstRun(options: FirstRunOptions): Promise<FirstRunResult> {
  const { root, portBase } = options;
  const log = options.log ?? ((line: string) => console.log(`[first run] ${line}`));
  const dataDir = path.join(".data", `first-run-${portBase}`);
  fs.rmSync(path.join(root, dataDir), { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(portBase),
    ANVIL_PORT: String(portBase + 1),
    PGLITE_PORT: String(portBase + 2),
    PROVIDER_LISTEN_ADDRESS: `127.0.0.1:${portBase + 3}`,
    DEMO_MODEL_PORT: String(portBase + 4),
    DATA_DIR: dataDir,
    CHAIN: "local",
    RPC_URL: "",
    DATABASE_URL: "",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  const site = `http://127.0.0.1:${portBase}`;
  const steps: FirstRunResult["steps"] = [];
  let output = "";
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    log(`${name}…`);
    try {
      const result = await run();
      steps.push({ name, ms: Date.now() - started });
      return result;
    } catch (error) {
      throw error instanceof FirstRunError ? error : new FirstRunError(name, (error as Error).message, output);
    }
  };

  // `npm start`, in a process group of its own: stopping it is Ctrl-C to the group, as in a terminal.
  const app = spawn("npm", ["start"], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  app.stdout!.on("data", keep);
  app.stderr!.on("data", keep);
  const exited = new Promise<string>((resolve) => app.once("exit", (code, signal) => resolve(signal ?? `code ${code}`)));

  try {
    await step("npm start serves the site", () => waitForSite(site, exited, options.startTimeoutMs ?? 8 * 60_000));
    await step(`/models lists ${DEMO_MODEL} at ${DEMO_PRICE}`, async () => {
      const html = await (await fetchWithin(`${site}/models`, {}, 30_000, "GET /models")).text();
      if (!html.includes(DEMO_MODEL)) throw new Error(`/models does not list ${DEMO_MODEL}`);
      if (!html.includes(DEMO_PRICE)) throw new Error(`/models does not show the demo bid at ${DEMO_PRICE}`);
    });
    const key = await step("npm run keys -- create", async () => {
      // Not spawnSync: a blocked event loop keeps the fetch pool from retiring the idle connection of
      // GET /models, which the server closes meanwhile, and the next POST would go out on it.
      const created = await run("npm", ["run", "-s", "keys", "--", "create", "--owner", OWNER, "--name", "first-run"], { cwd: root, env, timeoutMs: 120_000 });
      const key = created.stdout.trim().split("\n").pop() ?? "";
      if (created.status !== 0 || !key.startsWith("mor_sk_")) {
        throw new Error(`exit ${created.status}: ${created.stderr.trim().slice(-2000)}`);
      }
      return key;
    });
    const reply = await step("one chat completion with the key", async () => {
      const response = await fetchWithin(
        `${site}/api/v1/chat/completions`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: DEMO_MODEL, messages: [{ role: "user", content: "Hello from the first run" }] }),
        },
        120_000,
        "POST /api/v1/chat/completions",
      );
      const body = (await response.json()) as { choices?: { message?: { content?: string } }[]; error?: { message?: string } };
      const content = body.choices?.[0]?.message?.content;
      if (response.status !== 200 || !content) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
      return content;
    });
    await step("Ctrl-C stops everything", () => stop(app, exited));
    return { steps, reply };
  } finally {
    if (app.exitCode === null && app.signalCode === null) await stop(app, exited).catch(() => undefined);
  }
}

/** A command run to its end (killed past `timeoutMs`), its output collected. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ status: string | number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? signal ?? "unknown", stdout, stderr });
    });
  });
}

async function waitForSite(site: string, exited: Promise<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  void exited.then((how) => (gone = how));
  for (;;) {
    if (gone) throw new Error(`npm start exited (${gone}) before the site answered`);
    try {
      const response = await fetchWithin(`${site}/`, {}, 5_000, "GET /");
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the site did not answer within ${Math.round(timeoutMs / 1000)} s`);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 500)), exited]);
  }
}

async function fetchWithin(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause ? ` (${[cause.code, cause.message].filter(Boolean).join(": ")})` : "";
    throw new Error(`${what}: ${(error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : (error as Error).message}${detail}`);
  }
}

/** Ctrl-C to the whole process group; SIGKILL to it if it is still there after 30 s. */
async function stop(app: ChildProcess, exited: Promise<string>): Promise<void> {
  const group = -app.pid!;
  try {
    process.kill(group, "SIGINT");
  } catch {
    return; // already gone
  }
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000).unref());
  const how = await Promise.race([exited, timer]);
  if (how === "timeout") {
    try {
      process.kill(group, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    throw new Error("npm start did not stop within 30 s of Ctrl-C");
  }
  // npm has exited; parts left behind in the group would hold the ports of the next run.
  const deadline = Date.now() + 10_000;
  while (groupAlive(group)) {
    if (Date.now() > deadline) {
      process.kill(group, "SIGKILL");
      throw new Error("Ctrl-C left processes of npm start running");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
