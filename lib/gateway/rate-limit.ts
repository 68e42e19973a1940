// Per-key requests-per-minute and tokens-per-minute limits for the /api/v1 gateway, shared by every
// gateway instance on one database without a database round trip per request.
//
// Each instance decides in memory. Its own admissions are counted exactly over a sliding minute
// of 1-second buckets (a bucket leaves the window once all of it is more than 60 s old, so on its
// own an instance never admits more than the limit in any 60 s). Every GATEWAY_RATE_LIMIT_SYNC_MS
// (one sync at a time, bounded keys and store calls) it adds what it counted since its last sync
// to shared counters per key, limit and 10-second clock slot (rate-limiter-flexible's Prisma store
// over the app's own database, PGlite or PostgreSQL: `consume(key, delta)`, whose result is the
// total of all instances) and keeps the others' count of each slot = total − what it added. A
// decision is its own sliding count + the others' counts of the slots in the last 60 s (the
// oldest slot weighted by the part of it still in the window).
//
// Error bound: an instance sees the others' admissions at most two sync intervals late (what they
// counted since their last sync, and what they synced since its own), so a key can get its limit
// plus what the instances admit within two sync intervals once the limit is near (with steady
// traffic a few requests; the worst case is a burst that arrives on several instances within
// one interval: each may admit up to the limit before a sync shows it the others), plus the
// estimate of the oldest slot (others' requests assumed evenly spread over its 10 s). A key an
// instance has not served for a minute is counted on its own until its next sync. With one
// instance the others' count is 0 and the limit is exact. When the database is unreachable the
// sync fails (logged once, and once when it answers again): decisions go on from the own counts
// plus the others' last known ones, and the counts of the last minute are sent once it answers.
// Tokens are known only when a response ends (`recordTokens`): a key over its TPM is refused
// from its next request.
import "server-only";
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { mapBounded } from "@/lib/map-bounded";

/** A key's own limits (null = the gateway default); an AuthenticatedKey fits as is. */
export type RateLimits = { rpmLimit: number | null; tpmLimit: number | null };

export type RateLimitDecision = {
  allowed: boolean;
  /** OpenAI's x-ratelimit-* headers, for the response either way (a pair is left out when that limit is off). */
  headers: Record<string, string>;
  /** When refused: seconds until the request would be admitted (for Retry-After). */
  retryAfterSeconds?: number;
  /** When refused: which limit refused it. */
  limitedBy?: "requests" | "tokens";
};

/** Counters shared by the gateway instances: the part of rate-limiter-flexible's store API the sync uses. */
export interface SharedCounterStore {
  /** Adds `points` to `key` and returns its total (all instances), or throws when the store is unreachable. */
  add(key: string, points: number): Promise<number>;
  /** The total of `key` (0 when it has none). */
  read(key: string): Promise<number>;
}

export type SharedCounting = {
  store: SharedCounterStore;
  /** Ms between syncs (the error bound, see above). */
  syncMs: number;
  /** Longest a sync may wait for the store before it counts as failed (default max(5 s, 2 × syncMs)). */
  syncTimeoutMs?: number;
  /** Keys synced at most per sync, the most recently used first (default 2000). */
  maxKeysPerSync?: number;
  log: { info(message: string): void; error(message: string): void };
};

export type RateLimiterOptions = {
  /** Requests per minute for keys without their own limit; 0 = unlimited. */
  defaultRpm: number;
  /** Tokens per minute for keys without their own limit; 0 = unlimited. */
  defaultTpm: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Keys tracked at most; idle keys (nothing in the window) are dropped first anyway (default 100 000). */
  maxKeys?: number;
  /** Counting shared with the other instances; absent = this instance alone. */
  shared?: SharedCounting;
};

const bucketMs = 1000;
const windowMs = 60_000;
// 61 buckets: the current, partly elapsed second plus the 60 before it.
const bucketCount = windowMs / bucketMs + 1;
// Shared counters are per 10-second clock slot; a row lives three minutes from its first count,
// well past the minute its slot stays in the window.
const slotMs = 10_000;
const counterTtlSeconds = 180;
// The slots that overlap a 60 s window: the current one and the 6 before it.
const slotCount = windowMs / slotMs + 1;
// Store calls of one sync at once (PGlite runs one statement at a time anyway).
const syncConcurrency = 4;
// The int4 column of the shared counters.
const maxPoints = 2 ** 31 - 1;

type Kind = "requests" | "tokens";
/**
 * One 10-second clock slot of one key as shared: own counts not sent yet, own counts sent, the
 * total of all instances last seen, and whether that total is final (no instance adds to it any more).
 */
type SlotCounts = { slot: number; pending: Record<Kind, number>; sent: Record<Kind, number>; total: Record<Kind, number>; final: boolean };
type KeyWindow = {
  requests: Float64Array;
  tokens: Float64Array;
  lastBucket: number;
  /** The key's limits as last checked (which counters the sync keeps); -1 until checked here (a response that outlived its window). */
  rpm: number;
  tpm: number;
  /** The slots of the last minute, oldest first (shared counting only). */
  slots: SlotCounts[];
};

export class RateLimiter {
  private readonly defaultRpm: number;
  private readonly defaultTpm: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly shared?: Required<SharedCounting>;
  // Insertion order is recency order (an access re-inserts), so idle keys gather at the front.
  private readonly windows = new Map<string, KeyWindow>();
  private syncing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private storeDown = false;
  private storeCallsWaiting = 0;

  constructor(options: RateLimiterOptions) {
    this.defaultRpm = options.defaultRpm;
    this.defaultTpm = options.defaultTpm;
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
    if (options.shared) {
      this.shared = {
        syncTimeoutMs: Math.max(5_000, 2 * options.shared.syncMs),
        maxKeysPerSync: 2_000,
        ...options.shared,
      };
    }
  }

  /** Decides whether `keyId` may make a request now, and counts it when it may. */
  check(keyId: string, limits: RateLimits): RateLimitDecision {
    const rpm = limits.rpmLimit ?? this.defaultRpm;
    const tpm = limits.tpmLimit ?? this.defaultTpm;
    if (rpm <= 0 && tpm <= 0) return { allowed: true, headers: {} };

    const now = this.now();
    const bucket = Math.floor(now / bucketMs);
    const window = this.touch(keyId, bucket, now);
    window.rpm = rpm;
    window.tpm = tpm;
    const othersRequests = this.othersAt(window, "requests", now);
    const othersTokens = this.othersAt(window, "tokens", now);
    let requests = sum(window.requests) + othersRequests;
    const tokens = sum(window.tokens) + othersTokens;
    const overRequests = rpm > 0 && requests >= rpm;
    const overTokens = tpm > 0 && tokens >= tpm;
    const allowed = !overRequests && !overTokens;
    if (allowed) {
      window.requests[bucket % bucketCount] += 1;
      if (this.shared) window.slots[window.slots.length - 1].pending.requests += 1;
      requests += 1;
    }

    const headers: Record<string, string> = {};
    if (rpm > 0) {
      headers["x-ratelimit-limit-requests"] = String(rpm);
      headers["x-ratelimit-remaining-requests"] = String(Math.max(0, rpm - Math.ceil(requests)));
      headers["x-ratelimit-reset-requests"] = formatResetDuration(this.msUntil(window, "requests", bucket, now, (used) => used <= 0));
    }
    if (tpm > 0) {
      headers["x-ratelimit-limit-tokens"] = String(tpm);
      headers["x-ratelimit-remaining-tokens"] = String(Math.max(0, tpm - Math.ceil(tokens)));
      headers["x-ratelimit-reset-tokens"] = formatResetDuration(this.msUntil(window, "tokens", bucket, now, (used) => used <= 0));
    }
    this.sweep(bucket);
    if (allowed) return { allowed, headers };

    const waitRequests = overRequests ? this.msUntil(window, "requests", bucket, now, (used) => used < rpm) : 0;
    const waitTokens = overTokens ? this.msUntil(window, "tokens", bucket, now, (used) => used < tpm) : 0;
    return {
      allowed,
      headers,
      retryAfterSeconds: Math.max(1, Math.ceil(Math.max(waitRequests, waitTokens) / 1000)),
      limitedBy: waitRequests >= waitTokens ? "requests" : "tokens",
    };
  }

  /** Counts the tokens of a finished response (prompt + completion) against `keyId`. */
  recordTokens(keyId: string, tokens: number): void {
    if (!Number.isFinite(tokens) || tokens <= 0) return;
    const now = this.now();
    const bucket = Math.floor(now / bucketMs);
    const window = this.touch(keyId, bucket, now);
    window.tokens[bucket % bucketCount] += tokens;
    if (this.shared) window.slots[window.slots.length - 1].pending.tokens += tokens;
    this.sweep(bucket);
  }

  /** Keys currently tracked (tests, metrics). */
  get trackedKeys(): number {
    return this.windows.size;
  }

  /** Starts syncing with the other instances every `syncMs` (no-op without shared counting). */
  start(): void {
    if (!this.shared || this.timer) return;
    this.timer = setInterval(() => void this.sync(), this.shared.syncMs);
    this.timer.unref();
  }

  /** Stops the syncing after a last one (so what this instance counted is not lost to the others). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  /**
   * Sends each recently used key's counts since the last sync to the shared counters and takes the
   * others' counts from the totals. One at a time: a call while one runs returns that one.
   */
  sync(): Promise<void> {
    if (!this.shared) return Promise.resolve();
    this.syncing ??= this.runSync(this.shared).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async runSync(shared: Required<SharedCounting>): Promise<void> {
    const now = this.now();
    const slot = Math.floor(now / slotMs);
    // Store calls of syncs that timed out may still be waiting: never more than a few syncs' worth.
    if (this.storeCallsWaiting >= 4 * syncConcurrency) return;
    // The most recently used keys are at the end of the map.
    const keys = [...this.windows.entries()].slice(-shared.maxKeysPerSync);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${shared.syncTimeoutMs} ms`)), shared.syncTimeoutMs);
    });
    deadline.catch(() => {}); // raced below; unobserved when the sync ends first
    let failure: unknown;
    await mapBounded(keys, syncConcurrency, async ([keyId, window]) => {
      if (failure !== undefined) return; // the store is failing: the rest waits for the next sync
      rollSlots(window, slot); // keys not used here lately still learn the others' counts
      this.storeCallsWaiting++;
      try {
        const synced = this.syncKey(shared.store, keyId, window, now);
        void synced.then(
          () => this.storeCallsWaiting--,
          () => this.storeCallsWaiting--,
        );
        await Promise.race([synced, deadline]);
      } catch (error) {
        failure ??= error;
      }
    });
    clearTimeout(timer);
    if (failure !== undefined) {
      if (!this.storeDown) shared.log.error(`rate limits: the shared counters are unreachable (${describe(failure)}); counting on this instance until they answer`);
      this.storeDown = true;
    } else if (this.storeDown) {
      this.storeDown = false;
      shared.log.info("rate limits: the shared counters answer again");
    }
  }

  private async syncKey(store: SharedCounterStore, keyId: string, window: KeyWindow, now: number): Promise<void> {
    // Another instance may still add to a slot this long after it ended (its sync interval, and ours).
    const settledAfter = 2 * this.shared!.syncMs + bucketMs;
    for (const counts of [...window.slots]) {
      const final = now > (counts.slot + 1) * slotMs + settledAfter;
      for (const kind of ["requests", "tokens"] as const) {
        const limit = kind === "requests" ? window.rpm : window.tpm;
        if (limit === 0) {
          counts.pending[kind] = 0; // unlimited: nothing to share
          continue;
        }
        const points = Math.min(maxPoints, Math.round(counts.pending[kind]));
        // Limits not known here yet: send what was counted, read nothing until a request checks them.
        if (points <= 0 && (counts.final || limit < 0)) continue;
        const key = `${kind}:${keyId}:${counts.slot}`;
        counts.pending[kind] = 0;
        try {
          counts.total[kind] = points > 0 ? await store.add(key, points) : await store.read(key);
          counts.sent[kind] += points;
        } catch (error) {
          counts.pending[kind] += points; // sent again next time (an add that failed after it landed then counts twice: the strict side)
          throw error;
        }
      }
      counts.final = final;
    }
  }

  /** What the other instances used of `kind` in the 60 s before `at`, as last seen. */
  private othersAt(window: KeyWindow, kind: Kind, at: number): number {
    if (!this.shared) return 0;
    let used = 0;
    for (const counts of window.slots) {
      const others = counts.total[kind] - counts.sent[kind];
      if (others <= 0 || counts.slot * slotMs > at) continue;
      // The part of the slot still in the window (at − 60 s, at]: 1 but for the oldest slot.
      used += others * Math.min(1, Math.max(0, ((counts.slot + 1) * slotMs - (at - windowMs)) / slotMs));
    }
    return used;
  }

  /** Ms until the usage in the window satisfies `fits`, as own buckets expire oldest first and the others' counts age. */
  private msUntil(window: KeyWindow, kind: Kind, bucket: number, now: number, fits: (used: number) => boolean): number {
    const counts = window[kind];
    let own = sum(counts);
    if (fits(own + this.othersAt(window, kind, now))) return 0;
    // Bucket b holds events from [b, b+1) s and leaves the window at (b + 61) s: check at each second boundary.
    for (let b = bucket - bucketCount + 1; b <= bucket + 2 * bucketCount; b++) {
      if (b <= bucket) own -= counts[b % bucketCount];
      const at = (b + bucketCount) * bucketMs;
      if (fits(Math.max(0, own) + this.othersAt(window, kind, at))) return at - now;
    }
    return 2 * windowMs + bucketMs;
  }

  private touch(keyId: string, bucket: number, now: number): KeyWindow {
    let window = this.windows.get(keyId);
    if (window) this.windows.delete(keyId);
    else window = { requests: new Float64Array(bucketCount), tokens: new Float64Array(bucketCount), lastBucket: bucket, rpm: -1, tpm: -1, slots: [] };
    this.windows.set(keyId, window);
    advance(window, bucket);
    if (this.shared) rollSlots(window, Math.floor(now / slotMs));
    return window;
  }

  private sweep(bucket: number): void {
    for (const [keyId, window] of this.windows) {
      const idle = window.lastBucket <= bucket - bucketCount;
      if (!idle && this.windows.size <= this.maxKeys) break;
      this.windows.delete(keyId);
    }
  }
}

/** The shared counters in the app's database (table rate_limit_counters), through rate-limiter-flexible's Prisma store. */
export function databaseCounterStore(db: Db): SharedCounterStore {
  const limiter = new RateLimiterPrisma({
    storeClient: db,
    tableName: "rateLimitCounter", // the Prisma model RateLimitCounter
    keyPrefix: "gw",
    points: maxPoints, // a counter, never a limit of its own: the decision is made in memory
    duration: counterTtlSeconds,
  });
  return {
    async add(key, points) {
      try {
        return (await limiter.consume(key, points)).consumedPoints;
      } catch (error) {
        // consume rejects with the counts (not an Error) past `points`: the total is still known.
        if (error instanceof RateLimiterRes) return error.consumedPoints;
        throw error;
      }
    },
    async read(key) {
      return (await limiter.get(key))?.consumedPoints ?? 0;
    },
  };
}

/**
 * Starts the key's count of clock slot `slot` and forgets the slots that left the window. A key
 * new here gets every slot of the window, so that its first sync reads the others' last minute.
 */
function rollSlots(window: KeyWindow, slot: number): void {
  const last = window.slots.at(-1);
  // A clock that stepped back keeps counting in the newest slot.
  if (last && last.slot >= slot) return;
  for (let s = Math.max(slot - slotCount + 1, last ? last.slot + 1 : -Infinity); s <= slot; s++) {
    window.slots.push({ slot: s, pending: { requests: 0, tokens: 0 }, sent: { requests: 0, tokens: 0 }, total: { requests: 0, tokens: 0 }, final: false });
  }
  // Unsent counts of a slot that left the window go with it (only after the store was out for a minute).
  while (window.slots[0].slot <= slot - slotCount) window.slots.shift();
}

/** Zeroes the buckets that left the window since the key was last seen. */
function advance(window: KeyWindow, bucket: number): void {
  if (bucket <= window.lastBucket) return; // same second, or the clock stepped back
  if (bucket - window.lastBucket >= bucketCount) {
    window.requests.fill(0);
    window.tokens.fill(0);
  } else {
    for (let b = window.lastBucket + 1; b <= bucket; b++) {
      window.requests[b % bucketCount] = 0;
      window.tokens[b % bucketCount] = 0;
    }
  }
  window.lastBucket = bucket;
}

function sum(counts: Float64Array): number {
  let total = 0;
  for (const count of counts) total += count;
  return total;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0].slice(0, 200) : String(error);
}

/** OpenAI's duration style: "0s", "250ms", "12s", "1m0s". */
export function formatResetDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

const globalForLimiter = globalThis as unknown as { morpheusRateLimiter?: RateLimiter };

/**
 * The process-wide limiter with the defaults of GATEWAY_DEFAULT_RPM / GATEWAY_DEFAULT_TPM, its
 * counts shared with the other instances through `db` every GATEWAY_RATE_LIMIT_SYNC_MS.
 */
export function gatewayRateLimiter(db: Db, log: SharedCounting["log"]): RateLimiter {
  const config = env();
  if (!globalForLimiter.morpheusRateLimiter) {
    const limiter = new RateLimiter({
      defaultRpm: config.GATEWAY_DEFAULT_RPM,
      defaultTpm: config.GATEWAY_DEFAULT_TPM,
      shared: { store: databaseCounterStore(db), syncMs: config.GATEWAY_RATE_LIMIT_SYNC_MS, log },
    });
    limiter.start();
    globalForLimiter.morpheusRateLimiter = limiter;
  }
  return globalForLimiter.morpheusRateLimiter;
}

/**
 * Failed authentications per client address, so that guessing keys (each unknown key costs a
 * database lookup) is bounded: after `perMinute` failures an address is refused until its minute
 * is over. Fixed one-minute windows; at most `maxAddresses` tracked, the oldest window dropped first.
 */
export class FailedAuthLimiter {
  // Insertion order is window-start order: the oldest windows sit at the front.
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try a key again; 0 when it may now. */
  blockedFor(address: string): number {
    const window = this.windows.get(address);
    if (!window) return 0;
    const left = window.start + windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return window.failures >= this.perMinute ? Math.ceil(left / 1000) : 0;
  }

  recordFailure(address: string): void {
    const window = this.windows.get(address);
    if (window && window.start + windowMs > this.now()) {
      window.failures++;
      return;
    }
    this.windows.delete(address);
    while (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(address, { start: this.now(), failures: 1 });
  }

  get tracked(): number {
    return this.windows.size;
  }
}

/** Requests running at once per API key (per gateway instance); `max` 0 = unlimited. */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts a request of `keyId` in and returns how to count it out (once), or null when the key is at its limit. */
  tryEnter(keyId: string): (() => void) | null {
    const count = this.running.get(keyId) ?? 0;
    if (this.max > 0 && count >= this.max) return null;
    this.running.set(keyId, count + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const now = (this.running.get(keyId) ?? 1) - 1;
      if (now <= 0) this.running.delete(keyId);
      else this.running.set(keyId, now);
    };
  }
}
