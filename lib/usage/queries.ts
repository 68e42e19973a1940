// The SQL behind the usage page, the key list's 30-day figures and the CSV export: aggregated in
// the database (date_bin / GROUP BY over usage_records), every query joined to api_keys and scoped
// to one user, so a user only ever reads rows of their own keys.
import "server-only";
import { Prisma, type Db } from "@/lib/db";
import type { UsageWindow } from "./filters";

/** Bucket origin: buckets of a day start at 00:00 UTC. */
const bucketOrigin = new Date("2000-01-01T00:00:00Z");

/** The WHERE clause every usage query shares: the user's keys, the window, the filters. */
function scope(userId: string, window: UsageWindow): Prisma.Sql {
  return Prisma.sql`k.user_id = ${userId}::uuid AND r.created_at >= ${window.from} AND r.created_at < ${window.to}
    ${window.model ? Prisma.sql`AND r.model = ${window.model}` : Prisma.empty}
    ${window.keyId ? Prisma.sql`AND r.api_key_id = ${window.keyId}::uuid` : Prisma.empty}`;
}

export interface UsageKey {
  id: string;
  name: string;
  prefix: string;
  kind: "api" | "playground";
  revoked: boolean;
}

/** The user's keys (the playground's included) that can be filtered on; newest first, bounded. */
export async function usageKeys(db: Db, userId: string): Promise<UsageKey[]> {
  const rows = await db.apiKey.findMany({
    where: { userId },
    select: { id: true, name: true, prefix: true, kind: true, revokedAt: true },
    orderBy: [{ kind: "asc" }, { createdAt: "desc" }],
    take: 500,
  });
  return rows.map((row) => ({ id: row.id, name: row.name, prefix: row.prefix, kind: row.kind === "playground" ? "playground" : "api", revoked: row.revokedAt !== null }));
}

/** True when `keyId` is one of the user's keys (else the caller answers 404, as for a missing key). */
export async function isUserKey(db: Db, userId: string, keyId: string): Promise<boolean> {
  return (await db.apiKey.count({ where: { id: keyId, userId } })) === 1;
}

/** Models the user's keys called in the window, most used first. */
export async function usageModels(db: Db, userId: string, window: UsageWindow): Promise<string[]> {
  const rows = await db.$queryRaw<{ model: string }[]>`
    SELECT r.model FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id
    WHERE ${scope(userId, { ...window, model: undefined })}
    GROUP BY r.model ORDER BY count(*) DESC, r.model LIMIT 100`;
  return rows.map((row) => row.model);
}

export interface UsageTotals {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  avgTtftMs: number | null;
  avgDurationMs: number | null;
}

export async function usageTotals(db: Db, userId: string, window: UsageWindow): Promise<UsageTotals> {
  const [row] = await db.$queryRaw<UsageTotals[]>`
    SELECT count(*)::int AS requests,
      count(*) FILTER (WHERE r.status = 'error')::int AS errors,
      coalesce(sum(r.prompt_tokens), 0)::float8 AS "promptTokens",
      coalesce(sum(r.completion_tokens), 0)::float8 AS "completionTokens",
      avg(r.ttft_ms)::float8 AS "avgTtftMs",
      avg(r.duration_ms)::float8 AS "avgDurationMs"
    FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id
    WHERE ${scope(userId, window)}`;
  return row;
}

export interface UsageBucket {
  /** Bucket start. */
  at: Date;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  avgTtftMs: number | null;
  p95TtftMs: number | null;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
}

/** One row per bucket of the window (empty buckets included, as zeros), oldest first. */
export async function usageSeries(db: Db, userId: string, window: UsageWindow): Promise<UsageBucket[]> {
  const step = `${window.bucketSeconds} seconds`;
  return db.$queryRaw<UsageBucket[]>`
    WITH buckets AS (
      SELECT generate_series(
        date_bin(${step}::interval, ${window.from}::timestamptz, ${bucketOrigin}::timestamptz),
        ${window.to}::timestamptz - interval '1 millisecond',
        ${step}::interval) AS at
    ), agg AS (
      SELECT date_bin(${step}::interval, r.created_at, ${bucketOrigin}::timestamptz) AS at,
        count(*)::int AS requests,
        count(*) FILTER (WHERE r.status = 'error')::int AS errors,
        sum(r.prompt_tokens)::float8 AS prompt_tokens,
        sum(r.completion_tokens)::float8 AS completion_tokens,
        avg(r.ttft_ms)::float8 AS avg_ttft,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY r.ttft_ms)::float8 AS p95_ttft,
        avg(r.duration_ms)::float8 AS avg_duration,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_ms)::float8 AS p95_duration
      FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id
      WHERE ${scope(userId, window)}
      GROUP BY 1
    )
    SELECT b.at, coalesce(a.requests, 0) AS requests, coalesce(a.errors, 0) AS errors,
      coalesce(a.prompt_tokens, 0) AS "promptTokens", coalesce(a.completion_tokens, 0) AS "completionTokens",
      a.avg_ttft AS "avgTtftMs", a.p95_ttft AS "p95TtftMs", a.avg_duration AS "avgDurationMs", a.p95_duration AS "p95DurationMs"
    FROM buckets b LEFT JOIN agg a ON a.at = b.at
    ORDER BY b.at`;
}

export interface UsageGroup {
  /** The model, or the key's id. */
  id: string;
  /** The model, or the key's name ("playground" for the playground key). */
  label: string;
  requests: number;
  errors: number;
  tokens: number;
  avgDurationMs: number | null;
}

/** Requests per model in the window, most first (at most 50). */
export async function usageByModel(db: Db, userId: string, window: UsageWindow): Promise<UsageGroup[]> {
  return db.$queryRaw<UsageGroup[]>`
    SELECT r.model AS id, r.model AS label, count(*)::int AS requests,
      count(*) FILTER (WHERE r.status = 'error')::int AS errors,
      sum(r.prompt_tokens + r.completion_tokens)::float8 AS tokens,
      avg(r.duration_ms)::float8 AS "avgDurationMs"
    FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id
    WHERE ${scope(userId, window)}
    GROUP BY r.model ORDER BY requests DESC, r.model LIMIT 50`;
}

/** Requests per key in the window, most first (at most 50). */
export async function usageByKey(db: Db, userId: string, window: UsageWindow): Promise<UsageGroup[]> {
  return db.$queryRaw<UsageGroup[]>`
    SELECT k.id::text AS id, CASE WHEN k.kind = 'playground' THEN 'playground' ELSE k.name END AS label,
      count(*)::int AS requests,
      count(*) FILTER (WHERE r.status = 'error')::int AS errors,
      sum(r.prompt_tokens + r.completion_tokens)::float8 AS tokens,
      avg(r.duration_ms)::float8 AS "avgDurationMs"
    FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id
    WHERE ${scope(userId, window)}
    GROUP BY k.id, k.kind, k.name ORDER BY requests DESC, label LIMIT 50`;
}

/** Requests and tokens per key since `since` (the key list's "last 30 days" columns). */
export async function keyUsageSince(db: Db, userId: string, since: Date): Promise<Map<string, { requests: number; tokens: number }>> {
  const rows = await db.$queryRaw<{ id: string; requests: number; tokens: number }[]>`
    SELECT k.id::text AS id, count(*)::int AS requests, sum(r.prompt_tokens + r.completion_tokens)::float8 AS tokens
    FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id
    WHERE k.user_id = ${userId}::uuid AND r.created_at >= ${since}
    GROUP BY k.id`;
  return new Map(rows.map((row) => [row.id, { requests: row.requests, tokens: row.tokens }]));
}

export interface UsageRow {
  id: string;
  createdAt: Date;
  requestId: string;
  keyName: string;
  keyPrefix: string;
  endpoint: string;
  stream: boolean;
  model: string;
  status: string;
  errorCode: string | null;
  providerAddress: string | null;
  sessionId: string | null;
  /** The transaction that opened the session on-chain, when the gateway's pool knows it. */
  sessionOpenTx: string | null;
  promptTokens: number;
  completionTokens: number;
  ttftMs: number | null;
  durationMs: number;
}

const rowColumns = Prisma.sql`
  r.id::text AS id, r.created_at AS "createdAt", r.request_id AS "requestId",
  CASE WHEN k.kind = 'playground' THEN 'playground' ELSE k.name END AS "keyName", k.prefix AS "keyPrefix",
  r.endpoint, r.stream, r.model, r.status, r.error_code AS "errorCode",
  r.provider_address AS "providerAddress", r.session_id AS "sessionId", s.open_tx_hash AS "sessionOpenTx",
  r.prompt_tokens AS "promptTokens", r.completion_tokens AS "completionTokens", r.ttft_ms AS "ttftMs", r.duration_ms AS "durationMs"`;

const rowSource = Prisma.sql`usage_records r JOIN api_keys k ON k.id = r.api_key_id LEFT JOIN gateway_sessions s ON s.session_id = r.session_id`;

/** How many requests match (the table's page count, the export's size). */
export async function countUsageRows(db: Db, userId: string, window: UsageWindow): Promise<number> {
  const [row] = await db.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM usage_records r JOIN api_keys k ON k.id = r.api_key_id WHERE ${scope(userId, window)}`;
  return row.count;
}

/** One page of requests, newest first. */
export async function listUsageRows(db: Db, userId: string, window: UsageWindow, page: { offset: number; limit: number }): Promise<UsageRow[]> {
  return db.$queryRaw<UsageRow[]>`
    SELECT ${rowColumns} FROM ${rowSource}
    WHERE ${scope(userId, window)}
    ORDER BY r.created_at DESC, r.id DESC
    OFFSET ${Math.max(0, Math.floor(page.offset))} LIMIT ${Math.min(1000, Math.max(1, Math.floor(page.limit)))}`;
}

/**
 * Requests newest first in batches (keyset pagination: every batch is one indexed range read,
 * however deep), at most `maxRows` in all: what the CSV export streams.
 */
export async function* usageRowBatches(db: Db, userId: string, window: UsageWindow, maxRows: number, batchSize = 1000): AsyncGenerator<UsageRow[]> {
  let after: { createdAt: Date; id: string } | undefined;
  let left = maxRows;
  while (left > 0) {
    const limit = Math.min(batchSize, left);
    const rows = await db.$queryRaw<UsageRow[]>`
      SELECT ${rowColumns} FROM ${rowSource}
      WHERE ${scope(userId, window)}
      ${after ? Prisma.sql`AND (r.created_at, r.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : Prisma.empty}
      ORDER BY r.created_at DESC, r.id DESC
      LIMIT ${limit}`;
    if (rows.length === 0) return;
    yield rows;
    left -= rows.length;
    if (rows.length < limit) return;
    const last = rows[rows.length - 1];
    after = { createdAt: last.createdAt, id: last.id };
  }
}

/** Requests the gateway served successfully since `since`, all users together (a public figure of the landing page). */
export async function requestsServedSince(db: Db, since: Date): Promise<number> {
  const [row] = await db.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM usage_records WHERE status = 'ok' AND created_at >= ${since}`;
  return row.count;
}
