// Shared by the API key tests: a migrated database per backend, and a Prisma client that counts
// the SQL statements it sends (to prove that cached verifications do not touch the database).
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { applyMigrations } from "@/lib/db/migrate";
import type { Db } from "@/lib/db";
import type { Backend, FreshDatabase } from "../db/backends";

export { backends } from "../db/backends";

export async function migratedDatabase(backend: Backend): Promise<FreshDatabase> {
  const database = await backend.fresh();
  await applyMigrations(database.url);
  return database;
}

export type CountingDb = { db: Db; statements: () => number; reset: () => void; close: () => Promise<void> };

/** A client whose every statement (queries, BEGIN, COMMIT) is counted at the driver. */
export function countingPrismaClient(url: string): CountingDb {
  let count = 0;
  class CountingClient extends pg.Client {
    override query(...args: unknown[]): never {
      count++;
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 1, Client: CountingClient });
  // An idle connection dropped when the test database stops must not fail the run.
  pool.on("error", () => {});
  const db = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    db,
    statements: () => count,
    reset: () => void (count = 0),
    // The adapter does not end a pool it was given.
    close: async () => {
      await db.$disconnect();
      await pool.end();
    },
  };
}

export const alice = "0x" + "a1".repeat(20);
export const bob = "0x" + "b2".repeat(20);
