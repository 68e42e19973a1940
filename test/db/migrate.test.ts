// Migrations and a Prisma round trip, on PGlite and (with TEST_POSTGRES_URL) a real PostgreSQL.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, createMigration } from "@/lib/db/migrate";
import { createPrismaClient } from "@/lib/db";
import { backends, type FreshDatabase } from "./backends";

const repoMigrations = path.resolve(import.meta.dirname, "../../prisma/migrations");
const repoSchema = path.resolve(import.meta.dirname, "../../prisma/schema.prisma");
const migrationNames = fs
  .readdirSync(repoMigrations, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason)(`migrations on ${backend.name}${backend.skipReason ? ` (skipped: ${backend.skipReason})` : ""}`, () => {
    let database: FreshDatabase;
    beforeAll(async () => {
      database = await backend.fresh();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it("applies every migration to a fresh database, then nothing the second time", async () => {
      expect(await applyMigrations(database.url)).toEqual(migrationNames);
      expect(await applyMigrations(database.url)).toEqual([]);
      const rows = await query<{ migration_name: string; finished: boolean }>(
        database.url,
        `SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name`,
      );
      expect(rows).toEqual(migrationNames.map((name) => ({ migration_name: name, finished: true })));
    });

    it("round-trips users, API keys, usage records and gateway sessions through Prisma", async () => {
      const prisma = createPrismaClient(database.url, { poolSize: 1 });
      try {
        const user = await prisma.user.create({ data: { address: "0x" + "ab".repeat(20) } });
        const key = await prisma.apiKey.create({
          data: { userId: user.id, name: "ci", prefix: "sk-mor-abcd", hash: "f".repeat(64), allowedModels: ["llama-3"], rpmLimit: 60 },
        });
        await prisma.usageRecord.create({
          data: { apiKeyId: key.id, requestId: "req-1", endpoint: "chat.completions", model: "llama-3", promptTokens: 12, completionTokens: 34, ttftMs: 80, durationMs: 900, status: "ok" },
        });
        const maxUint256 = (2n ** 256n - 1n).toString();
        const session = await prisma.gatewaySession.create({
          data: {
            sessionId: "0x" + "11".repeat(32),
            chainId: 31337,
            userAddress: "0x" + "66".repeat(20),
            modelId: "0x" + "22".repeat(32),
            bidId: "0x" + "33".repeat(32),
            providerAddress: "0x" + "44".repeat(20),
            providerEndpoint: "127.0.0.1:3333",
            pricePerSecond: "100000000000000",
            stake: maxUint256,
            openedAt: new Date(),
            endsAt: new Date(Date.now() + 3_600_000),
            state: "idle",
            openTxHash: "0x" + "55".repeat(32),
          },
        });
        expect(session.stake.toFixed()).toBe(maxUint256);

        const loaded = await prisma.user.findUniqueOrThrow({
          where: { address: user.address },
          include: { apiKeys: { include: { usageRecords: true } } },
        });
        expect(loaded.apiKeys[0]).toMatchObject({ hash: "f".repeat(64), allowedModels: ["llama-3"], rpmLimit: 60, tpmLimit: null });
        expect(loaded.apiKeys[0].usageRecords[0]).toMatchObject({ requestId: "req-1", promptTokens: 12, completionTokens: 34, status: "ok" });

        const claimed = await prisma.gatewaySession.updateMany({
          where: { modelId: session.modelId, state: "idle", claimedBy: null },
          data: { state: "busy", claimedBy: "instance-a", claimedAt: new Date() },
        });
        expect(claimed.count).toBe(1);
        await expect(prisma.apiKey.create({ data: { userId: user.id, name: "dup", prefix: "x", hash: "f".repeat(64) } })).rejects.toThrow();
      } finally {
        await prisma.$disconnect();
      }
    });
  });

  describe.skipIf(backend.skipReason)(`concurrent migrators on ${backend.name}`, () => {
    it("applies each migration exactly once when callers race (same and different connection strings)", async () => {
      const database = await backend.fresh();
      try {
        // A second spelling of the URL bypasses the in-process queue, so the database lock is what is tested.
        const other = new URL(database.url);
        other.searchParams.set("application_name", "second-migrator");
        const results = await Promise.all([applyMigrations(database.url), applyMigrations(other.toString()), applyMigrations(database.url)]);
        expect(results.flat().sort()).toEqual(migrationNames);
        const rows = await query<{ n: string }>(database.url, `SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL`);
        expect(Number(rows[0].n)).toBe(migrationNames.length);
      } finally {
        await database.drop();
      }
    });
  });

  describe.skipIf(backend.skipReason)(`createMigration with a ${backend.name} shadow database`, () => {
    let workDir: string;
    beforeAll(() => {
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-migrations-"));
      fs.cpSync(repoMigrations, path.join(workDir, "migrations"), { recursive: true });
      fs.copyFileSync(repoSchema, path.join(workDir, "schema.prisma"));
    });
    afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

    const paths = () => ({ migrationsDir: path.join(workDir, "migrations"), schemaPath: path.join(workDir, "schema.prisma") });

    it("writes nothing when the schema matches the migrations, and a new migration when it changed", async () => {
      const shadow = backend.name === "PGlite" ? undefined : await backend.fresh();
      try {
        expect(await createMigration("nothing", { ...paths(), shadowDatabaseUrl: shadow?.url })).toBeNull();
      } finally {
        await shadow?.drop();
      }

      fs.appendFileSync(paths().schemaPath, `\nmodel ModelPrice {\n  modelId String @id @map("model_id")\n  price   Decimal @db.Decimal(78, 0)\n\n  @@map("model_prices")\n}\n`);
      const shadow2 = backend.name === "PGlite" ? undefined : await backend.fresh();
      let created;
      try {
        created = await createMigration("Add model prices", { ...paths(), shadowDatabaseUrl: shadow2?.url, now: new Date("2030-01-02T03:04:05Z") });
      } finally {
        await shadow2?.drop();
      }
      expect(created?.name).toBe("20300102030405_add_model_prices");
      expect(created?.sql).toContain(`CREATE TABLE "model_prices"`);
      expect(fs.readFileSync(path.join(paths().migrationsDir, created!.name, "migration.sql"), "utf8")).toBe(created!.sql.endsWith("\n") ? created!.sql : `${created!.sql}\n`);

      const target = await backend.fresh();
      try {
        expect(await applyMigrations(target.url, paths())).toEqual([...migrationNames, created!.name]);
      } finally {
        await target.drop();
      }
    }, 120_000); // the WASM schema engine replays every migration twice: CPU-heavy, slow on a busy 2-core runner
  });
}
