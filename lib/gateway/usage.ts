// One usage record per inference request (streamed and failed ones included), written off the
// hot path: requests only queue the record; a writer inserts queued records in batches. A failed
// insert keeps the batch queued and retries with backoff, and shutdown records the requests it
// cuts short and flushes what is left, so a database hiccup delays records but does not lose
// them — up to a bound: during a long outage the queue holds at most `maxQueued` records (about
// 1 KB each), and records past it are dropped, counted and logged as errors rather than growing
// the process without limit. Records are keyed by request id, so a retried batch never duplicates one.
// A request that claimed a session already has a "running" record (written by the claim, see
// session-manager.ts): its final record completes that row instead of adding one.
// What a client or provider put in a record (a model name, token counts) is cleaned and clamped to
// the columns when queued, and a row the database still refuses is found by splitting its batch and
// dropped alone, so one bad record never holds back the ones behind it.
import { Prisma, type Db } from "@/lib/db";

export interface UsageEntry {
  apiKeyId: string;
  requestId: string;
  endpoint: "chat.completions" | "embeddings";
  stream: boolean;
  model: string;
  providerAddress?: string;
  sessionId?: string;
  promptTokens: number;
  completionTokens: number;
  ttftMs?: number;
  durationMs: number;
  status: "ok" | "error";
  errorCode?: string;
}

/** Column limits of usage_records (prisma/schema.prisma). */
const MAX_INT = 2_147_483_647;
const COLUMN_LENGTH = { requestId: 64, model: 200, providerAddress: 42, sessionId: 66, errorCode: 64 } as const;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as a column takes it: no NUL (PostgreSQL text cannot hold one), no lone surrogate, at most `max` characters. */
function columnText(value: unknown, max: number): string {
  const text = (typeof value === "string" ? value : String(value ?? "")).replace(/\0/g, "").replace(LONE_SURROGATE, "\uFFFD");
  if (text.length <= max) return text;
  // Never split a surrogate pair.
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** A count as an int4 column takes it: an integer from 0 to 2^31-1 (NaN, negatives and junk are 0, Infinity and 1e12 the maximum). */
function columnInt(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (Number.isNaN(n) || n <= 0) return 0;
  return n >= MAX_INT ? MAX_INT : Math.floor(n);
}

/** The record as the table takes it: every field a client or provider could have set, cleaned and clamped. */
export function usageRow(entry: UsageEntry): UsageEntry {
  return {
    ...entry,
    requestId: columnText(entry.requestId, COLUMN_LENGTH.requestId),
    model: columnText(entry.model, COLUMN_LENGTH.model),
    ...(entry.providerAddress !== undefined ? { providerAddress: columnText(entry.providerAddress, COLUMN_LENGTH.providerAddress) } : {}),
    ...(entry.sessionId !== undefined ? { sessionId: columnText(entry.sessionId, COLUMN_LENGTH.sessionId) } : {}),
    promptTokens: columnInt(entry.promptTokens),
    completionTokens: columnInt(entry.completionTokens),
    ...(entry.ttftMs !== undefined ? { ttftMs: columnInt(entry.ttftMs) } : {}),
    durationMs: columnInt(entry.durationMs),
    ...(entry.errorCode !== undefined ? { errorCode: columnText(entry.errorCode, COLUMN_LENGTH.errorCode) } : {}),
  };
}

const BATCH_SIZE = 200;
const FLUSH_DELAY_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** At the default, hours of traffic at a few requests per second: only a long database outage reaches it. */
const MAX_QUEUED = 100_000;
/** Drops are logged at most this often (each line carries the running count). */
const DROP_LOG_EVERY_MS = 10_000;

export class UsageWriter {
  private queue: UsageEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private backoffMs = 0;
  private droppedCount = 0;
  private lastDropLogAt = 0;
  /** Requests still running, each with how to record it as cut short by a shutdown. */
  private readonly running = new Set<() => void>();

  constructor(
    private readonly db: Db,
    private readonly log: { error(message: string): void },
    private readonly maxQueued = MAX_QUEUED,
  ) {}

  /** Queues a record; returns at once. With the queue full (the database is down), the record is dropped. */
  record(entry: UsageEntry): void {
    if (this.queue.length >= this.maxQueued) {
      this.droppedCount++;
      if (this.droppedCount === 1 || Date.now() - this.lastDropLogAt >= DROP_LOG_EVERY_MS) {
        this.lastDropLogAt = Date.now();
        this.log.error(`usage records: DROPPED ${this.droppedCount} record(s) so far: ${this.maxQueued} are queued and the database is not taking them (last dropped: request ${entry.requestId})`);
      }
      return;
    }
    this.queue.push(usageRow(entry));
    this.schedule(FLUSH_DELAY_MS);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Records dropped because the queue was full, since the process started. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Registers a running request and how to record it if the process stops first; returns its unregistration. */
  begin(recordCutShort: () => void): () => void {
    this.running.add(recordCutShort);
    return () => this.running.delete(recordCutShort);
  }

  /** At shutdown: records the requests still running as cut short, then writes everything queued. */
  async close(deadline?: number): Promise<void> {
    for (const recordCutShort of [...this.running]) recordCutShort();
    await this.flush(deadline);
  }

  /** Writes everything queued so far (retrying until it succeeds or `deadline` passes). */
  async flush(deadline = Date.now() + 30_000): Promise<void> {
    while (this.queue.length > 0 && Date.now() < deadline) {
      await (this.flushing ??= this.writeBatch().finally(() => (this.flushing = undefined)));
      if (this.queue.length > 0 && this.backoffMs > 0) await new Promise((r) => setTimeout(r, Math.min(this.backoffMs, deadline - Date.now())));
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing ??= this.writeBatch().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule(this.backoffMs || FLUSH_DELAY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.slice(0, BATCH_SIZE);
    if (batch.length === 0) return;
    try {
      await this.insertIsolating(batch);
      this.queue.splice(0, batch.length);
      this.backoffMs = 0;
    } catch (error) {
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(200, this.backoffMs * 2));
      this.log.error(`usage records: insert of ${batch.length} failed, retrying in ${this.backoffMs} ms (${this.queue.length} queued): ${(error as Error).message}`);
    }
  }

  /**
   * Writes `rows` (writeUsageRecords); when the database refuses them, splits the batch in halves until the refused
   * row is alone. A lone row refused while the database answers a probe is the row's fault: it is
   * dropped and logged. Throws (everything stays queued) when the database itself is failing.
   */
  private async insertIsolating(rows: UsageEntry[]): Promise<void> {
    try {
      await writeUsageRecords(this.db, rows);
      return;
    } catch (error) {
      if (rows.length > 1) {
        const half = Math.ceil(rows.length / 2);
        await this.insertIsolating(rows.slice(0, half));
        await this.insertIsolating(rows.slice(half));
        return;
      }
      await this.db.$queryRaw`SELECT 1`; // throws during an outage: then the row is not to blame
      this.droppedCount++;
      this.log.error(`usage records: DROPPED the record of request ${rows[0].requestId}: the database refuses it: ${(error as Error).message}`);
    }
  }
}

/**
 * The order in which usage records are upserted, here and by the session pool's running records:
 * two statements that touch the same rows lock them in the same order, so they never deadlock.
 */
export function byRequestId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Inserts finished records, or completes the "running" record their request's claim wrote. A
 * record already finished is left alone (a retried batch, or a duplicate request id).
 */
async function writeUsageRecords(db: Db, batch: UsageEntry[]): Promise<void> {
  const rows = [...batch].sort((a, b) => byRequestId(a.requestId, b.requestId)).map(
    (e) => Prisma.sql`(gen_random_uuid(), ${e.apiKeyId}::uuid, ${e.requestId}, ${e.endpoint}, ${e.stream}, ${e.model}, ${e.providerAddress ?? null},
      ${e.sessionId ?? null}, ${e.promptTokens}::int, ${e.completionTokens}::int, ${e.ttftMs ?? null}::int, ${e.durationMs}::int, ${e.status}, ${e.errorCode ?? null})`,
  );
  await db.$executeRaw`
    INSERT INTO usage_records AS u (id, api_key_id, request_id, endpoint, stream, model, provider_address, session_id, prompt_tokens, completion_tokens, ttft_ms, duration_ms, status, error_code)
    VALUES ${Prisma.join(rows)}
    ON CONFLICT (request_id) DO UPDATE SET endpoint = EXCLUDED.endpoint, stream = EXCLUDED.stream, model = EXCLUDED.model,
      provider_address = COALESCE(EXCLUDED.provider_address, u.provider_address), session_id = COALESCE(EXCLUDED.session_id, u.session_id),
      prompt_tokens = EXCLUDED.prompt_tokens, completion_tokens = EXCLUDED.completion_tokens, ttft_ms = EXCLUDED.ttft_ms,
      duration_ms = EXCLUDED.duration_ms, status = EXCLUDED.status, error_code = EXCLUDED.error_code
    WHERE u.status = 'running'`;
}
