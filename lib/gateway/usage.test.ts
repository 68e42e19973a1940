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

describe("UsageWriter with records the table cannot take as they are", () => {
  it("writes a record with a model name over 200 characters or with a NUL, and 1e12 / Infinity / NaN / negative token counts, clamped", async () => {
    const errors: string[] = [];
    const writer = new UsageWriter(db, { error: (m) => errors.push(m) });
    const cases: [string, Partial<UsageEntry>][] = [
      ["long-model", { model: "m".repeat(5000) }],
      ["nul-model", { model: "bad\u0000name" }],
      ["surrogate-model", { model: `${"x".repeat(199)}\u{1F600}`, errorCode: "\uD800".repeat(100) }],
      ["huge-tokens", { promptTokens: 1e12, completionTokens: Infinity, ttftMs: 1e300, durationMs: Number.MAX_VALUE }],
      ["junk-tokens", { promptTokens: Number.NaN, completionTokens: -5, ttftMs: -1 }],
    ];
    for (const [id, fields] of cases) writer.record({ ...entry(id), ...fields });
    writer.record(entry("after-the-bad-ones"));
    await writer.flush(Date.now() + 10_000);
    expect(writer.pending).toBe(0);
    const rows = new Map((await db.usageRecord.findMany({ where: { requestId: { in: [...cases.map(([id]) => id), "after-the-bad-ones"] } } })).map((r) => [r.requestId, r]));
    expect(rows.size).toBe(cases.length + 1);
    expect(rows.get("long-model")!.model).toBe("m".repeat(200));
    expect(rows.get("nul-model")!.model).toBe("badname");
    expect(rows.get("surrogate-model")!.model).toBe("x".repeat(199)); // the emoji's pair is not split
    expect(rows.get("huge-tokens")).toMatchObject({ promptTokens: 2_147_483_647, completionTokens: 2_147_483_647, ttftMs: 2_147_483_647, durationMs: 2_147_483_647 });
    expect(rows.get("junk-tokens")).toMatchObject({ promptTokens: 0, completionTokens: 0, ttftMs: 0 });
    expect(errors).toEqual([]);
  });

  it("drops a row the database refuses (its key was deleted) alone: the rest of its batch and later records are written", async () => {
    const errors: string[] = [];
    const writer = new UsageWriter(db, { error: (m) => errors.push(m) });
    for (let i = 0; i < 7; i++) writer.record(entry(`batch-${i}`));
    writer.record({ ...entry("orphan"), apiKeyId: "00000000-0000-4000-8000-000000000000" });
    for (let i = 7; i < 12; i++) writer.record(entry(`batch-${i}`));
    await writer.flush(Date.now() + 10_000);
    expect(writer.pending).toBe(0);
    expect(writer.dropped).toBe(1);
    expect(await db.usageRecord.count({ where: { requestId: { startsWith: "batch-" } } })).toBe(12);
    expect(errors.filter((m) => m.includes("DROPPED the record of request orphan"))).toHaveLength(1);

    writer.record(entry("later"));
    await writer.flush(Date.now() + 10_000);
    expect(await db.usageRecord.count({ where: { requestId: "later" } })).toBe(1);
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
