// Authenticates every /api/v1 request by its API key, without a database query per request.
//
// Guarantee: a key revoked anywhere (this instance, another gateway instance, the keys CLI) is
// refused by every instance from at most `refreshMs` after the revocation commits: any request
// arriving `refreshMs` or more after the commit is refused. Why it holds: before trusting its
// cache, `verify` waits until a change poll that STARTED no more than `refreshMs` before the
// request arrived has completed (single flight: concurrent requests share one poll, and under
// steady traffic a poll is started ahead, at refreshMs / 2, so requests rarely wait). A poll that
// started after the commit reads the revoked row and overwrites the cached entry, or makes a
// lookup of that key still in flight read again. Conditions:
//   - every change bumps `updated_at` (Prisma's @updatedAt does on every update through the
//     client; hand-written SQL must set it);
//   - each poll re-reads from the previous poll's database clock minus `overlapMs` (default 10 s),
//     so a writer's `updated_at` may lag the database clock at commit by at most that much
//     (Prisma stamps it with the writer's clock: clock skew plus transaction duration);
//   - deleting a row is not a revocation (nothing is left to poll): a deleted key is refused only
//     once its cache entry is older than `maxEntryAgeMs` (default 5 min). Revoke instead.
// Changes made through this process's own `revokeApiKey` on the same client apply at once. If the
// database cannot be polled, `verify` rejects (fails closed) rather than trust a stale cache.
import "server-only";
import { timingSafeEqual } from "node:crypto";
import { db as defaultDb, type Db } from "@/lib/db";
import { env } from "@/lib/env";
import {
  findApiKeyByHash,
  hashApiKey,
  isWellFormedApiKey,
  listApiKeysChangedSince,
  onApiKeyChanged,
  recordApiKeysUsed,
  type ApiKeyAuthRow,
} from "./api-keys";

/** The caller of a request, as the gateway sees it (empty allowedModels = every model; null limits = the gateway defaults). */
export type AuthenticatedKey = Omit<ApiKeyAuthRow, "hash" | "revokedAt">;

export type ApiKeyVerifierOptions = {
  /** Longest a revocation elsewhere goes unnoticed (default 1000 ms; 0 polls before every request). */
  refreshMs?: number;
  /** How far before the previous poll each poll re-reads, for late commits and writer clock skew (default 10 s). */
  overlapMs?: number;
  /** Known keys kept in memory, least recently used dropped first (default 10 000). */
  maxEntries?: number;
  /** Unknown keys remembered as unknown, kept apart so a flood of fakes cannot push out real keys (default 10 000). */
  maxNegativeEntries?: number;
  /** A cached answer older than this is looked up again, the only way a deleted row is noticed (default 5 min). */
  maxEntryAgeMs?: number;
  /** How often recorded uses are written to `lastUsedAt` (default 10 s). */
  usageFlushMs?: number;
  /** A key's `lastUsedAt` is recorded at most once per this interval (default 60 s). */
  usageIntervalMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Failures of background work (refresh-ahead polls, `lastUsedAt` writes); default: console.error. */
  onBackgroundError?: (error: unknown) => void;
};

type CachedKey = { hash: string; row: ApiKeyAuthRow; loadedAt: number; usageRecordedAt: number };
type Poll = { seq: number; startedAt: number; done: Promise<void> };
type Lookup = {
  /** Polls numbered from this one were issued after the current attempt's query. */
  fromPollSeq: number;
  /** A poll or a local change showed the attempt's answer may be out of date. */
  stale: boolean;
  /** What that poll read (then at least as new as the attempt's answer). */
  polledRow?: ApiKeyAuthRow;
  done: Promise<CachedKey | null>;
};

// A lookup invalidated this many times in a row takes the row of the poll that invalidated it.
const maxLookupAttempts = 3;

export class ApiKeyVerifier {
  private readonly refreshMs: number;
  private readonly overlapMs: number;
  private readonly maxEntries: number;
  private readonly maxNegativeEntries: number;
  private readonly maxEntryAgeMs: number;
  private readonly usageIntervalMs: number;
  private readonly now: () => number;
  private readonly onBackgroundError: (error: unknown) => void;

  // Insertion order is recency order: a hit re-inserts its entry.
  private readonly known = new Map<string, CachedKey>();
  /** Hashes known not to exist, with when that was read. */
  private readonly unknown = new Map<string, number>();
  private readonly lookups = new Map<string, Lookup>();
  private readonly pendingUses = new Map<string, Date>();

  private nextPollSeq = 0;
  /** notifyChanged() requires a poll numbered at least this. */
  private minPollSeq = 0;
  private lastPoll: Poll | undefined;
  private polling: Poll | undefined;
  /** Database clock at the last completed poll. */
  private watermark: Date | null = null;

  private readonly usageTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    options: ApiKeyVerifierOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 1000;
    this.overlapMs = options.overlapMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxNegativeEntries = options.maxNegativeEntries ?? 10_000;
    this.maxEntryAgeMs = options.maxEntryAgeMs ?? 300_000;
    this.usageIntervalMs = options.usageIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.onBackgroundError = options.onBackgroundError ?? ((error) => console.error("[api-keys]", error));
    this.usageTimer = setInterval(() => void this.flushUsage(), options.usageFlushMs ?? 10_000);
    this.usageTimer.unref();
    this.unsubscribe = onApiKeyChanged(db, (hash) => this.evict(hash));
  }

  /**
   * The key in an `Authorization` header value (`Bearer <key>`) or given bare; null when it is
   * missing, malformed (refused without touching the database), unknown, revoked or expired.
   */
  async verify(credential: string | null | undefined): Promise<AuthenticatedKey | null> {
    const key = bearerKey(credential);
    if (!key || !isWellFormedApiKey(key)) return null;
    const hash = hashApiKey(key);
    await this.ensureFresh();

    let entry = this.cached(hash);
    if (entry === undefined) entry = await this.load(hash);
    // The Map lookup above is keyed by the hash, so any timing it leaks concerns SHA-256 outputs of
    // the caller's own input; the comparison that decides is constant-time all the same.
    if (!entry || !timingSafeEqual(Buffer.from(entry.hash, "hex"), Buffer.from(hash, "hex"))) return null;

    const now = this.now();
    const { row } = entry;
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return null;
    this.noteUse(entry, now);
    return {
      id: row.id,
      userId: row.userId,
      ownerAddress: row.ownerAddress,
      name: row.name,
      prefix: row.prefix,
      allowedModels: [...row.allowedModels],
      rpmLimit: row.rpmLimit,
      tpmLimit: row.tpmLimit,
      expiresAt: row.expiresAt,
    };
  }

  /** Forgets what is cached for `hash` (a key this process just changed). */
  evict(hash: string): void {
    this.known.delete(hash);
    this.unknown.delete(hash);
    const lookup = this.lookups.get(hash);
    if (lookup) lookup.stale = true;
  }

  /** Something changed keys behind our back: the next request waits for a fresh poll. */
  notifyChanged(): void {
    this.minPollSeq = this.nextPollSeq;
  }

  /** Writes the recorded uses to `lastUsedAt` now (close() does it too). */
  flushUsage(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pendingUses.size === 0) return;
      const uses = [...this.pendingUses].map(([id, at]) => ({ id, at }));
      this.pendingUses.clear();
      try {
        await recordApiKeysUsed(this.db, uses);
      } catch (error) {
        // lastUsedAt is informational: a lost write is reported, not retried.
        this.onBackgroundError(error);
      }
    });
    return this.flushing;
  }

  /** Stops the timer and listener and writes pending uses; the database client stays open (it is the caller's). */
  async close(): Promise<void> {
    clearInterval(this.usageTimer);
    this.unsubscribe();
    await this.polling?.done.catch(() => {});
    await this.flushUsage();
  }

  // ---- freshness ----

  /** Returns once a poll that started at most refreshMs before this call (and after any notifyChanged) has completed. */
  private async ensureFresh(): Promise<void> {
    const arrivedAt = this.now();
    const recentEnough = (poll: Poll) => poll.seq >= this.minPollSeq && poll.startedAt >= arrivedAt - this.refreshMs;
    if (this.lastPoll && recentEnough(this.lastPoll)) {
      // Refresh ahead, so that under steady traffic no request waits for a poll.
      if (!this.polling && arrivedAt - this.lastPoll.startedAt >= this.refreshMs / 2) this.startPoll().done.catch(this.onBackgroundError);
      return;
    }
    // Join the running poll (single flight); if it started too long ago, wait for it and poll again.
    for (;;) {
      const poll = this.polling ?? this.startPoll();
      await poll.done;
      if (recentEnough(poll)) return;
    }
  }

  private startPoll(): Poll {
    const poll: Poll = { seq: this.nextPollSeq++, startedAt: this.now(), done: Promise.resolve() };
    const since = this.watermark && new Date(this.watermark.getTime() - this.overlapMs);
    poll.done = listApiKeysChangedSince(this.db, since)
      .then(({ polledAt, changed }) => {
        for (const row of changed) this.applyChange(row, poll);
        if (!this.watermark || polledAt > this.watermark) this.watermark = polledAt;
        if (!this.lastPoll || poll.seq > this.lastPoll.seq) this.lastPoll = poll;
      })
      .finally(() => {
        if (this.polling === poll) this.polling = undefined;
      });
    this.polling = poll;
    return poll;
  }

  // The polled row is the committed state at the poll, newer than any lookup that finished before
  // the poll started: it replaces a cached entry outright (versions by `updated_at` would be wrong,
  // as writers stamp it with their own clocks), and a lookup issued before the poll is redone.
  // (A poll issued before a lookup needs nothing: the lookup reads a state at least as new.)
  private applyChange(row: ApiKeyAuthRow, poll: Poll): void {
    const entry = this.known.get(row.hash);
    if (entry) {
      entry.row = row;
      entry.loadedAt = poll.startedAt;
    }
    this.unknown.delete(row.hash);
    const lookup = this.lookups.get(row.hash);
    if (lookup && poll.seq >= lookup.fromPollSeq) {
      lookup.stale = true;
      lookup.polledRow = row;
    }
  }

  // ---- the cache ----

  /** The cached entry, null when known not to exist, undefined when not cached (or cached too long ago). */
  private cached(hash: string): CachedKey | null | undefined {
    const oldest = this.now() - this.maxEntryAgeMs;
    const entry = this.known.get(hash);
    if (entry) {
      if (entry.loadedAt < oldest) return undefined;
      this.known.delete(hash);
      this.known.set(hash, entry);
      return entry;
    }
    const loadedAt = this.unknown.get(hash);
    if (loadedAt === undefined) return undefined;
    if (loadedAt >= oldest) return null;
    this.unknown.delete(hash);
    return undefined;
  }

  private load(hash: string): Promise<CachedKey | null> {
    const running = this.lookups.get(hash);
    if (running) return running.done;
    const lookup: Lookup = { fromPollSeq: 0, stale: false, done: Promise.resolve(null) };
    lookup.done = (async () => {
      try {
        for (let attempt = 1; ; attempt++) {
          Object.assign(lookup, { fromPollSeq: this.nextPollSeq, stale: false, polledRow: undefined });
          const loadedAt = this.now();
          let row = await findApiKeyByHash(this.db, hash);
          if (lookup.stale && attempt < maxLookupAttempts) continue;
          // Out of attempts (the key keeps changing): the invalidating poll's row is the newer read.
          if (lookup.stale && lookup.polledRow) row = lookup.polledRow;
          const entry = row && { hash, row, loadedAt, usageRecordedAt: -Infinity };
          if (!lookup.stale || lookup.polledRow) this.store(hash, entry, loadedAt);
          return entry;
        }
      } finally {
        this.lookups.delete(hash);
      }
    })();
    this.lookups.set(hash, lookup);
    return lookup.done;
  }

  private store(hash: string, entry: CachedKey | null, loadedAt: number): void {
    if (entry) {
      const previous = this.known.get(hash);
      if (previous) entry.usageRecordedAt = previous.usageRecordedAt; // a re-read of an aged entry
      this.known.delete(hash);
      this.known.set(hash, entry);
      if (this.known.size > this.maxEntries) this.known.delete(this.known.keys().next().value!);
    } else {
      this.unknown.set(hash, loadedAt);
      if (this.unknown.size > this.maxNegativeEntries) this.unknown.delete(this.unknown.keys().next().value!);
    }
  }

  private noteUse(entry: CachedKey, now: number): void {
    if (now - entry.usageRecordedAt < this.usageIntervalMs) return;
    entry.usageRecordedAt = now;
    this.pendingUses.set(entry.row.id, new Date(now));
  }
}

/** The key of an `Authorization` header value (`Bearer <key>`, any case), or the value itself. */
function bearerKey(credential: string | null | undefined): string | null {
  const value = credential?.trim();
  if (!value) return null;
  const match = /^bearer\s+(\S+)$/i.exec(value);
  return match ? match[1] : value;
}

const globalForVerifier = globalThis as unknown as { morpheusApiKeyVerifier?: ApiKeyVerifier };

/** The process-wide verifier on the process-wide client (kept across hot reloads, like `db()`). */
export function apiKeyVerifier(): ApiKeyVerifier {
  globalForVerifier.morpheusApiKeyVerifier ??= new ApiKeyVerifier(defaultDb(), { refreshMs: env().API_KEY_REFRESH_MS });
  return globalForVerifier.morpheusApiKeyVerifier;
}
