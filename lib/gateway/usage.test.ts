// The usage writer against a real database (PGlite) that goes away: records wait in a bounded
// queue, and past the bound they are dropped, counted and logged as errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { pgliteBackend, type FreshDatabase } from "@/test/db/backends";
import { UsageWriter, type UsageEntry } from "./usage";

let database: FreshDatabase;
let db: Db;
let apiKeyId: string;
let dropped = false;

beforeAll(async () => {
  database = await pgliteBackend.fresh();
  await applyMigrations(database.url);
  db = createPrismaClient(database.url, { poolSize: 1 });
  const user = await db.user.create({ data: { address: "0x0000000000000000000000000000000000000009" } });
  apiKeyId = (await db.apiKey.create({ data: { userId: user.id, name: "usage tests", prefix: "sk-test", hash: "0".repeat(64) } })).id;
});
afterAll(async () => {
  await db.$disconnect();
  if (!dropped) await database.drop();
});

const entry = (requestId: string): UsageEntry => ({
  apiKeyId,
  requestId,
  endpoint: "chat.completions",
  stream: false,
  model: "usage-test",
  promptTokens: 1,
  completionTokens: 1,
  durationMs: 1,
  status: "ok",
});

describe("UsageWriter with running records", () => {
  it("completes the running record a claim wrote, inserts the others, and never rewrites a finished one", async () => {
    const writer = new UsageWriter(db, { error: () => {} });
    const startedAt = new Date(Date.now() - 5_000);
    await db.usageRecord.create({
      data: { ...entry("claimed"), status: "running", durationMs: 0, promptTokens: 0, completionTokens: 0, sessionId: "0x" + "ab".repeat(32), instanceId: "gw-1", createdAt: startedAt },
    });
    writer.record({ ...entry("claimed"), promptTokens: 7, completionTokens: 11, durationMs: 4_000, stream: true });
    writer.record(entry("unclaimed"));
    await writer.flush();
    const claimed = await db.usageRecord.findUniqueOrThrow({ where: { requestId: "claimed" } });
    expect(claimed).toMatchObject({ status: "ok", promptTokens: 7, completionTokens: 11, durationMs: 4_000, stream: true, sessionId: "0x" + "ab".repeat(32), instanceId: "gw-1" });
    expect(claimed.createdAt.getTime(), "the record keeps the request's start").toBe(startedAt.getTime());
    expect(await db.usageRecord.count({ where: { requestId: { in: ["claimed", "unclaimed"] } } })).toBe(2);

    writer.record({ ...entry("claimed"), status: "error", errorCode: "late_duplicate" });
    await writer.flush();
    expect(await db.usageRecord.findUniqueOrThrow({ where: { requestId: "claimed" } })).toMatchObject({ status: "ok", errorCode: null });
  });
});

describe("UsageWriter during a database outage", () => {
  it("queues at most maxQueued records; the rest are dropped, counted and logged", async () => {
    const errors: string[] = [];
    const writer = new UsageWriter(db, { error: (m) => errors.push(m) }, 5);
    writer.record(entry("before-outage"));
    await writer.flush();
    expect(await db.usageRecord.count({ where: { requestId: "before-outage" } })).toBe(1);

    await database.drop(); // the database goes away
    dropped = true;
    for (let i = 0; i < 8; i++) writer.record(entry(`during-outage-${i}`));
    expect(writer.pending).toBe(5);
    expect(writer.dropped).toBe(3);
    const dropLines = errors.filter((m) => m.includes("DROPPED"));
    expect(dropLines.length).toBeGreaterThanOrEqual(1);
    expect(dropLines[0]).toContain("5 are queued");
  });
});
