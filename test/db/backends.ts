// The databases the db tests run against: a fresh embedded PGlite always, and a real PostgreSQL
// when TEST_POSTGRES_URL is set (`TEST_POSTGRES_URL=$(bash .ci/postgres.sh | tail -1)`).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { startPgliteServer } from "@/lib/db/pglite-server";

export type FreshDatabase = { url: string; drop(): Promise<void> };

export type Backend = {
  name: string;
  /** Why the backend is skipped, or undefined when it runs. */
  skipReason?: string;
  /** A new, empty database. */
  fresh(): Promise<FreshDatabase>;
};

// Tests read configuration from the environment like any harness; the app goes through lib/env.
const postgresUrl = process.env.TEST_POSTGRES_URL;

export const pgliteBackend: Backend = {
  name: "PGlite",
  async fresh() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-pglite-"));
    const server = await startPgliteServer({ dataDir, port: 0 });
    return {
      url: server.url,
      drop: async () => {
        await server.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresBackend: Backend = {
  name: "PostgreSQL",
  skipReason: postgresUrl ? undefined : "TEST_POSTGRES_URL is not set (start one with: bash .ci/postgres.sh)",
  async fresh() {
    if (!postgresUrl) throw new Error("TEST_POSTGRES_URL is not set");
    const name = `morpheus_t_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  },
};

export const backends = [pgliteBackend, postgresBackend];

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
