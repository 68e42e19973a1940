// The embedded database: PGlite (Postgres compiled to WASM) in one process, served over the
// Postgres wire protocol so the app, the migration tool and psql all connect with a plain URL.
//
// Concurrency (measured with pglite-socket 0.2.17): PGlite is ONE Postgres backend. The socket
// server accepts up to `maxConnections` clients and multiplexes their messages onto that single
// backend, one query at a time; while a client is inside a transaction, other clients' queries
// wait in a queue until it commits or rolls back (so transactions never interleave). Everything
// that is per-session in Postgres is shared by all clients: SET, temp tables, prepared-statement
// names and advisory locks (pg_advisory_lock does NOT exclude another client: same session).
// Over the limit a client is refused ("Too many connections", connection closed) without
// touching the data. We allow a few clients so a CLI (db:migrate, psql) can work while the app
// is connected; each process should keep a pool of 1 (lib/db/client.ts does).
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { pgliteUrl } from "./url";

export type PgliteServerOptions = {
  /** Data directory (created if missing), or "memory://" for a throwaway in-memory database. */
  dataDir: string;
  /** TCP port; 0 picks a free one (read it from the returned url). */
  port: number;
  host?: string;
  /** Concurrent client connections the multiplexer accepts (default 8). */
  maxConnections?: number;
};

export type PgliteServer = { url: string; port: number; stop(): Promise<void> };

export class PgliteServerError extends Error {}

const lockFileName = "owner.pid";

/** Starts PGlite on `dataDir` and serves it on host:port until `stop()`. */
export async function startPgliteServer(options: PgliteServerOptions): Promise<PgliteServer> {
  const host = options.host ?? "127.0.0.1";
  const inMemory = options.dataDir.startsWith("memory://");
  const releaseLock = inMemory ? () => {} : lockDataDir(options.dataDir);
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(inMemory ? options.dataDir : path.resolve(options.dataDir));
    const server = new PGLiteSocketServer({ db, port: options.port, host, maxConnections: options.maxConnections ?? 8 });
    try {
      await server.start();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") throw new PgliteServerError(`port ${host}:${options.port} is already in use (another database server or a running app?)`);
      throw error;
    }
    const port = Number(server.getServerConn().split(":").pop());
    const openDb = db;
    let stopping: Promise<void> | undefined;
    return {
      url: pgliteUrl(port, host),
      port,
      stop: () =>
        (stopping ??= (async () => {
          await server.stop();
          await openDb.close();
          releaseLock();
        })()),
    };
  } catch (error) {
    await db?.close().catch(() => {});
    releaseLock();
    throw error;
  }
}

// Two PGlite instances on one directory corrupt it, and PGlite itself does not check: a pid file
// marks the owner, and a file left by a process that no longer exists is taken over.
function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, lockFileName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(fs.readFileSync(lockPath, "utf8").trim());
      if (owner && owner !== process.pid && isProcessAlive(owner)) {
        throw new PgliteServerError(`the embedded database in ${dataDir} is already open in process ${owner} (stop it first, or connect to it with DATABASE_URL)`);
      }
      if (owner === process.pid) throw new PgliteServerError(`the embedded database in ${dataDir} is already open in this process`);
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new PgliteServerError(`could not lock ${lockPath}`);
}

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
