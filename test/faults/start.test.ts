// `npm start` when one of its parts dies: the app server (`next start`, whose process is
// next-server) SIGKILLed. start.ts must say which part stopped and how before it stops the rest,
// and exit non-zero. Runs the real script: anvil, the demo model, a provider node, embedded PGlite
// and `next start` of the built app, each on a free port, data in a temp dir.
import { spawn, spawnSync } from "node:child_process";
import { afterAll, expect, it } from "vitest";
import { Cleanup, eventually, root, tempDir } from "../provider/fixture";
import { freePort } from "../support/ports";

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

it("names the part that stopped and the signal that killed it, then stops the rest", async () => {
  const [port, anvilPort, pglitePort, demoPort, providerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATA_DIR: tempDir(cleanup, "faults-start-"),
    PORT: String(port),
    ANVIL_PORT: String(anvilPort),
    PGLITE_PORT: String(pglitePort),
    DEMO_MODEL_PORT: String(demoPort),
    PROVIDER_LISTEN_ADDRESS: `127.0.0.1:${providerPort}`,
  };
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  });

  // Serving: /api/v1 answers 401 without a key once the gateway is up.
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/models`, { signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(401);
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  // The app server: start.ts's child running `next start`, which retitles itself next-server (no fork in Next 16).
  const ps = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(child.pid)], { encoding: "utf8" });
  const line = ps.stdout.split("\n").find((l) => /next-server/.test(l));
  expect(line, ps.stdout).toBeDefined();
  const nextPid = Number(line!.trim().split(/\s+/)[0]);
  process.kill(nextPid, "SIGKILL");

  const { code } = await exited;
  expect(code).toBe(1);
  expect(output).toMatch(new RegExp(`next start \\(pid ${nextPid}\\) was killed by SIGKILL; stopping the rest \\(embedded database, provider node, demo model, anvil\\)`));
  expect(output).toMatch(/stopped anvil/);
}, 150_000);
