// The Prisma client: always Postgres through @prisma/adapter-pg, either DATABASE_URL or the
// embedded PGlite that the start script serves on PGLITE_PORT (see ./pglite-server.ts).
// No `import "server-only"` here: tsx scripts (seeds, CLIs) import this module too, and
// server-only throws outside the Next.js bundler. Client components never reach lib/db anyway.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { resolveDatabaseUrl } from "./url";

export type Db = PrismaClient;

export type PrismaClientOptions = {
  /** Connections in the pool (default 10). Use 1 for PGlite: it runs one query at a time anyway. */
  poolSize?: number;
};

export function createPrismaClient(url: string, options: PrismaClientOptions = {}): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: options.poolSize ?? 10 }) });
}

const globalForDb = globalThis as unknown as { morpheusDb?: PrismaClient };

/** The process-wide client; kept on globalThis so Next.js hot reloads do not open new pools. */
export function db(): PrismaClient {
  if (!globalForDb.morpheusDb) {
    const config = env();
    globalForDb.morpheusDb = createPrismaClient(resolveDatabaseUrl(config), { poolSize: config.DATABASE_URL ? 10 : 1 });
  }
  return globalForDb.morpheusDb;
}
