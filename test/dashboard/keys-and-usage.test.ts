// The dashboard's routes (create and revoke API keys, export usage as CSV) through their real
// handlers, and the usage queries behind its charts, on a real database (PGlite): every route
// scoped to the signed-in wallet, state-changing ones to the site's Origin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { createPrismaClient, type Db } from "@/lib/db";
import { isWellFormedApiKey, maxActiveApiKeysPerUser, playgroundKeyId } from "@/lib/auth/api-keys";
import { pgliteBackend, type FreshDatabase } from "../db/backends";
import { migratedDatabase } from "../auth/fixture";

const site = "http://portal.test:3000";
const aliceAddress = "0x" + "a1".repeat(20);
const bobAddress = "0x" + "b2".repeat(20);

let database: FreshDatabase;
let db: Db;
let routes: {
  create: (r: Request) => Promise<Response>;
  revoke: (r: Request, id: string) => Promise<Response>;
  exportCsv: (r: Request) => Promise<Response>;
};
let usage: typeof import("@/lib/usage");
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };

beforeAll(async () => {
  database = await migratedDatabase(pgliteBackend);
  Object.assign(process.env, { CHAIN: "local", RPC_URL: "", DATABASE_URL: "", PGLITE_PORT: new URL(database.url).port, APP_ORIGIN: "" });
  db = createPrismaClient(database.url, { poolSize: 1 });
  const [create, revoke, exportCsv, webSession] = await Promise.all([
    import("@/app/api/keys/route"),
    import("@/app/api/keys/[id]/route"),
    import("@/app/api/usage/export/route"),
    import("@/lib/auth/web-session"),
  ]);
  usage = await import("@/lib/usage");
  routes = {
    create: (r) => create.POST(r),
    revoke: (r, id) => revoke.DELETE(r, { params: Promise.resolve({ id }) }),
    exportCsv: (r) => exportCsv.GET(r),
  };
  const a = await webSession.openWebSession(db, aliceAddress);
  const b = await webSession.openWebSession(db, bobAddress);
  alice = { token: a.token, userId: a.user.id };
  bob = { token: b.token, userId: b.user.id };
});

afterAll(async () => {
  await db?.$disconnect();
  await (await import("@/lib/db")).db().$disconnect();
  await database?.drop();
});

function request(method: string, path: string, who: { token: string } | null, body?: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${site}${path}`, {
    method,
    headers: { origin: site, "content-type": "application/json", ...(who ? { cookie: `morpheus_session=${who.token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

async function createKey(who: { token: string }, body: Record<string, unknown>) {
  const response = await routes.create(request("POST", "/api/keys", who, body));
  expect(response.status).toBe(201);
  return (await response.json()) as { key: string; apiKey: { id: string; name: string; ownerAddress: string; allowedModels: string[]; rpmLimit: number | null; expiresAt: string | null } };
}

describe("POST /api/keys", () => {
  it("creates a key for the signed-in wallet with its expiry, allow-list and limits; the secret only in this response", async () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const { key, apiKey } = await createKey(alice, { name: "  my app ", expiresAt, allowedModels: ["morpheus-demo-chat"], rpmLimit: 60, tpmLimit: 10_000 });
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(apiKey).toMatchObject({ name: "my app", ownerAddress: aliceAddress, allowedModels: ["morpheus-demo-chat"], rpmLimit: 60, expiresAt });
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(row.userId).toBe(alice.userId);
    expect(JSON.stringify(row)).not.toContain(key);
  });

  it("refuses a foreign or missing Origin (403) and a visitor without a session (401)", async () => {
    const before = await db.apiKey.count();
    expect(await errorOf(await routes.create(request("POST", "/api/keys", alice, { name: "x" }, { origin: "https://evil.example" })))).toMatchObject({
      status: 403,
      code: "forbidden_origin",
    });
    const noOrigin = new Request(`${site}/api/keys`, { method: "POST", headers: { cookie: `morpheus_session=${alice.token}` }, body: JSON.stringify({ name: "x" }) });
    expect((await routes.create(noOrigin)).status).toBe(403);
    expect(await errorOf(await routes.create(request("POST", "/api/keys", null, { name: "x" })))).toMatchObject({ status: 401, code: "unauthenticated" });
    expect(await db.apiKey.count()).toBe(before);
  });

  it("validates every field: name length, past expiry, limits, model ids, body size", async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "" }, /name/],
      [{ name: "x".repeat(101) }, /name: must be at most 100/],
      [{ name: "x", expiresAt: new Date(Date.now() - 60_000).toISOString() }, /expiresAt must be in the future/],
      [{ name: "x", expiresAt: "tomorrow" }, /expiresAt/],
      [{ name: "x", rpmLimit: 0 }, /rpmLimit/],
      [{ name: "x", tpmLimit: 1.5 }, /tpmLimit/],
      [{ name: "x", allowedModels: [""] }, /allowedModels/],
      [{ name: "x", allowedModels: Array.from({ length: 101 }, (_, i) => `m${i}`) }, /allowedModels/],
      [{ name: "x".repeat(20_000) }, /over 16384 bytes/],
    ];
    for (const [body, message] of cases) {
      const error = await errorOf(await routes.create(request("POST", "/api/keys", alice, body)));
      expect(error.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(error.message).toMatch(message);
    }
  });

  it(`refuses a key past the ${maxActiveApiKeysPerUser} active keys of a wallet (409 limit_reached)`, async () => {
    const carol = await (await import("@/lib/auth/web-session")).openWebSession(db, "0x" + "c3".repeat(20));
    const who = { token: carol.token };
    for (let i = 0; i < maxActiveApiKeysPerUser; i++) await createKey(who, { name: `key ${i}` });
    expect(await errorOf(await routes.create(request("POST", "/api/keys", who, { name: "one more" })))).toMatchObject({ status: 409, code: "limit_reached" });
  });
});

describe("DELETE /api/keys/:id", () => {
  it("revokes the wallet's own key", async () => {
    const { apiKey } = await createKey(alice, { name: "to revoke" });
    const response = await routes.revoke(request("DELETE", `/api/keys/${apiKey.id}`, alice), apiKey.id);
    expect(response.status).toBe(200);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).revokedAt).not.toBeNull();
  });

  it("answers 404 for another wallet's key, the playground key, an unknown id and a malformed one, and leaves them alone", async () => {
    const { apiKey } = await createKey(bob, { name: "bob's" });
    const playground = await playgroundKeyId(db, alice.userId);
    for (const id of [apiKey.id, playground, randomUUID(), "not-a-uuid"]) {
      expect(await errorOf(await routes.revoke(request("DELETE", `/api/keys/${id}`, alice), id))).toMatchObject({ status: 404, code: "not_found" });
    }
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).revokedAt).toBeNull();
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: playground } })).revokedAt).toBeNull();
  });

  it("refuses a foreign Origin (403) without revoking", async () => {
    const { apiKey } = await createKey(alice, { name: "kept" });
    const response = await routes.revoke(request("DELETE", `/api/keys/${apiKey.id}`, alice, undefined, { origin: "https://evil.example" }), apiKey.id);
    expect(response.status).toBe(403);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).revokedAt).toBeNull();
  });
});

describe("usage queries and the CSV export", () => {
  const now = Date.now();
  const hour = 3_600_000;
  let aliceKey: string;
  let alicePlayground: string;
  let bobKey: string;

  beforeAll(async () => {
    aliceKey = (await createKey(alice, { name: "=HYPERLINK(\"x\")" })).apiKey.id;
    alicePlayground = await playgroundKeyId(db, alice.userId);
    bobKey = (await createKey(bob, { name: "bob's usage" })).apiKey.id;
    const record = (apiKeyId: string, ageMs: number, model: string, status: "ok" | "error", tokens: number) => ({
      apiKeyId,
      requestId: `req-${randomUUID()}`,
      endpoint: "chat.completions",
      model,
      providerAddress: "0x" + "99".repeat(20),
      sessionId: "0x" + "ab".repeat(32),
      promptTokens: tokens,
      completionTokens: 2 * tokens,
      ttftMs: status === "ok" ? 40 : null,
      durationMs: 100,
      status,
      errorCode: status === "error" ? "upstream_error" : null,
      createdAt: new Date(now - ageMs),
    });
    await db.usageRecord.createMany({
      data: [
        record(aliceKey, 1 * hour, "morpheus-demo-chat", "ok", 10),
        record(aliceKey, 2 * hour, "morpheus-demo-chat", "error", 0),
        record(aliceKey, 30 * hour, "other-model", "ok", 5),
        record(alicePlayground, 3 * hour, "morpheus-demo-chat", "ok", 7),
        record(aliceKey, 40 * 24 * hour, "morpheus-demo-chat", "ok", 1000), // outside 30 days
        record(bobKey, 1 * hour, "morpheus-demo-chat", "ok", 500),
        record(bobKey, 2 * hour, "bob-only-model", "ok", 500),
      ],
    });
  });

  const window = (query: Record<string, string>) => {
    const parsed = usage.parseUsageQuery(query);
    if (!parsed.success) throw parsed.error;
    return usage.usageWindow(parsed.data, new Date(now + 1000));
  };

  it("aggregates only the user's keys, per bucket, model and key (the playground key as \"playground\")", async () => {
    const day = window({ range: "24h" });
    expect(await usage.usageTotals(db, alice.userId, day)).toMatchObject({ requests: 3, errors: 1, promptTokens: 17, completionTokens: 34 });
    const series = await usage.usageSeries(db, alice.userId, day);
    expect(series.length).toBeGreaterThanOrEqual(24);
    expect(series.length).toBeLessThanOrEqual(25);
    expect(series.reduce((sum, b) => sum + b.requests, 0)).toBe(3);
    expect(series.reduce((sum, b) => sum + b.errors, 0)).toBe(1);
    expect(series.every((b, i) => i === 0 || b.at.getTime() - series[i - 1].at.getTime() === hour)).toBe(true);
    expect(await usage.usageByModel(db, alice.userId, day)).toEqual([expect.objectContaining({ label: "morpheus-demo-chat", requests: 3, errors: 1, tokens: 51 })]);
    const byKey = await usage.usageByKey(db, alice.userId, window({ range: "30d" }));
    expect(byKey.map((g) => [g.label, g.requests])).toEqual([
      ['=HYPERLINK("x")', 3],
      ["playground", 1],
    ]);
    expect(await usage.usageModels(db, alice.userId, window({ range: "30d" }))).toEqual(["morpheus-demo-chat", "other-model"]);
    const filtered = window({ range: "7d", model: "other-model", key: aliceKey });
    expect(await usage.usageTotals(db, alice.userId, filtered)).toMatchObject({ requests: 1, promptTokens: 5 });
    // Another user's key as a filter reads nothing of theirs.
    expect(await usage.usageTotals(db, alice.userId, window({ range: "30d", key: bobKey }))).toMatchObject({ requests: 0 });
    const perKey = await usage.keyUsageSince(db, alice.userId, new Date(now - 30 * 24 * hour));
    expect(perKey.get(aliceKey)).toEqual({ requests: 3, tokens: 45 });
    expect(perKey.has(bobKey)).toBe(false);
  });

  it("a custom range covers whole UTC days, its end day included; bad ranges are refused", () => {
    const parsed = usage.parseUsageQuery({ range: "custom", from: "2026-11-01", to: "2026-11-03" });
    expect(parsed.success).toBe(true);
    const w = usage.usageWindow(parsed.data!);
    expect([w.from.toISOString(), w.to.toISOString(), w.bucketSeconds]).toEqual(["2026-11-01T00:00:00.000Z", "2026-11-04T00:00:00.000Z", 6 * 3600]);
    expect(usage.parseUsageQuery({ range: "custom", from: "2026-11-03", to: "2026-11-01" }).success).toBe(false);
    expect(usage.parseUsageQuery({ range: "custom", from: "2024-01-01", to: "2026-11-01" }).success).toBe(false);
    expect(usage.parseUsageQuery({ range: "custom" }).success).toBe(false);
    expect(usage.parseUsageQuery({ range: "1y" }).success).toBe(false);
    expect(usage.parseUsageQuery({ key: "1; DROP TABLE api_keys" }).success).toBe(false);
  });

  async function exportCsv(who: { token: string } | null, query: string) {
    return routes.exportCsv(request("GET", `/api/usage/export?${query}`, who, undefined, { origin: "" }));
  }

  function parseCsv(text: string): string[][] {
    return text
      .trimEnd()
      .split("\r\n")
      .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1].replace(/^"|"$/g, "").replace(/""/g, '"')));
  }

  it("exports exactly the rows the page's filters show, newest first, key names defused for spreadsheets", async () => {
    for (const query of ["range=30d", "range=24h&model=morpheus-demo-chat", `range=30d&key=${aliceKey}`, `range=30d&key=${alicePlayground}`, "range=custom&from=2020-01-01&to=2020-01-02"]) {
      const response = await exportCsv(alice, query);
      expect(response.status, query).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
      const [header, ...rows] = parseCsv(await response.text());
      expect(header).toEqual([...usage.csvColumns]);
      const w = window(Object.fromEntries(new URLSearchParams(query)));
      const shown = await usage.listUsageRows(db, alice.userId, w, { offset: 0, limit: 100 });
      expect(rows.map((r) => r[1]), query).toEqual(shown.map((r) => r.requestId));
      expect(response.headers.get("x-usage-rows")).toBe(String(shown.length));
    }
    const [, first] = parseCsv(await (await exportCsv(alice, `range=30d&key=${aliceKey}`)).text());
    expect(first[2]).toBe("'=HYPERLINK(\"x\")");
    expect(first.slice(9, 11)).toEqual(["0x" + "99".repeat(20), "0x" + "ab".repeat(32)]);
  });

  it("answers 404 for another wallet's key, 400 for a bad filter, 401 without a session", async () => {
    expect(await errorOf(await exportCsv(alice, `key=${bobKey}`))).toMatchObject({ status: 404, code: "not_found" });
    expect(await errorOf(await exportCsv(alice, "range=forever"))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await exportCsv(alice, "range=custom&from=2026-01-02"))).toMatchObject({ status: 400 });
    expect(await errorOf(await exportCsv(null, "range=30d"))).toMatchObject({ status: 401 });
  });

  it("stops at the row bound, streaming in keyset batches", async () => {
    const w = window({ range: "30d" });
    const batches: number[] = [];
    for await (const batch of usage.usageRowBatches(db, alice.userId, w, 3, 2)) batches.push(batch.length);
    expect(batches).toEqual([2, 1]);
    const all: string[] = [];
    for await (const batch of usage.usageRowBatches(db, alice.userId, w, 100, 1)) all.push(...batch.map((r) => r.requestId));
    expect(all).toEqual((await usage.listUsageRows(db, alice.userId, w, { offset: 0, limit: 100 })).map((r) => r.requestId));
  });
});
