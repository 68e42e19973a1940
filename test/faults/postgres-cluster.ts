// A throwaway PostgreSQL cluster the fault tests own (initdb in a temp dir, on a free loopback
// port), so they can stop and start the server under a running gateway, as an outage does. Same
// recipe as .ci/postgres.sh: Debian's binaries (/usr/lib/postgresql/*/bin) or pg_ctl on PATH, run
// as the `postgres` user when the tests run as root (PostgreSQL refuses root).
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../support/ports";

export interface PostgresCluster {
  /** postgres://… of the cluster's `postgres` database (tests create their own databases in it). */
  url: string;
  /** pg_ctl stop -m fast: connections are cut, new ones refused. */
  stop(): void;
  /** pg_ctl start, waiting until it accepts connections. */
  start(): void;
  /** Stops the server for good and removes its files. */
  destroy(): void;
}

function findBinDir(): string | undefined {
  const debian = "/usr/lib/postgresql";
  if (fs.existsSync(debian)) {
    const versions = fs.readdirSync(debian).filter((v) => fs.existsSync(path.join(debian, v, "bin", "pg_ctl")));
    versions.sort((a, b) => Number(a) - Number(b));
    if (versions.length) return path.join(debian, versions.at(-1)!, "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v pg_ctl"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return found && fs.existsSync(path.join(path.dirname(found), "initdb")) ? path.dirname(found) : undefined;
}

/** Why the fault tests cannot run here (no PostgreSQL binaries), or undefined when they can. */
export const postgresSkipReason: string | undefined = findBinDir()
  ? undefined
  : "the fault tests need PostgreSQL's binaries (initdb, pg_ctl): apt-get install -y postgresql";

const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[]): void {
  const [file, argv] = asRoot ? ["su", ["postgres", "-s", "/bin/sh", "-c", [bin, ...args].map(shellQuote).join(" ")]] : [bin, args];
  const result = spawnSync(file, argv as string[], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(" ")} failed (${result.signal ?? result.status}):\n${result.stdout}\n${result.stderr}`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = findBinDir();
  if (!bin) throw new Error(postgresSkipReason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-faults-pg-"));
  if (asRoot) {
    execFileSync("sh", ["-c", "id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres"]);
    execFileSync("chown", ["postgres", dir]);
  }
  const data = path.join(dir, "data");
  const port = await freePort();
  run(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
  const start = () => run(path.join(bin, "pg_ctl"), ["-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
  const stop = () => run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
  start();
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        stop();
      } catch {
        // already stopped (a test failed mid-outage): nothing left to stop
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
