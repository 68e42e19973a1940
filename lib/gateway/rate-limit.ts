// Per-key requests-per-minute and tokens-per-minute limits for the /api/v1 gateway.
//
// In memory and PER GATEWAY INSTANCE: with N instances behind a load balancer a key can reach up
// to N times its limits. The window is a sliding minute kept in 1-second buckets; a bucket leaves
// the window once all of it is more than 60 s old, so the limit errs on the strict side by under
// a second and never admits more than the limit in any 60 s. Tokens are known only when a
// response ends (`recordTokens`): a key over its TPM is refused from its next request.
import "server-only";
import { env } from "@/lib/env";

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

export type RateLimiterOptions = {
  /** Requests per minute for keys without their own limit; 0 = unlimited. */
  defaultRpm: number;
  /** Tokens per minute for keys without their own limit; 0 = unlimited. */
  defaultTpm: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Keys tracked at most; idle keys (nothing in the window) are dropped first anyway (default 100 000). */
  maxKeys?: number;
};

const bucketMs = 1000;
const windowMs = 60_000;
// 61 buckets: the current, partly elapsed second plus the 60 before it.
const bucketCount = windowMs / bucketMs + 1;

type KeyWindow = { requests: Float64Array; tokens: Float64Array; lastBucket: number };

export class RateLimiter {
  private readonly defaultRpm: number;
  private readonly defaultTpm: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  // Insertion order is recency order (an access re-inserts), so idle keys gather at the front.
  private readonly windows = new Map<string, KeyWindow>();

  constructor(options: RateLimiterOptions) {
    this.defaultRpm = options.defaultRpm;
    this.defaultTpm = options.defaultTpm;
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Decides whether `keyId` may make a request now, and counts it when it may. */
  check(keyId: string, limits: RateLimits): RateLimitDecision {
    const rpm = limits.rpmLimit ?? this.defaultRpm;
    const tpm = limits.tpmLimit ?? this.defaultTpm;
    if (rpm <= 0 && tpm <= 0) return { allowed: true, headers: {} };

    const now = this.now();
    const bucket = Math.floor(now / bucketMs);
    const window = this.touch(keyId, bucket);
    let requests = sum(window.requests);
    const tokens = sum(window.tokens);
    const overRequests = rpm > 0 && requests >= rpm;
    const overTokens = tpm > 0 && tokens >= tpm;
    const allowed = !overRequests && !overTokens;
    if (allowed) {
      window.requests[bucket % bucketCount] += 1;
      requests += 1;
    }

    const headers: Record<string, string> = {};
    if (rpm > 0) {
      headers["x-ratelimit-limit-requests"] = String(rpm);
      headers["x-ratelimit-remaining-requests"] = String(Math.max(0, rpm - requests));
      headers["x-ratelimit-reset-requests"] = formatResetDuration(msUntil(window.requests, bucket, now, (used) => used === 0));
    }
    if (tpm > 0) {
      headers["x-ratelimit-limit-tokens"] = String(tpm);
      headers["x-ratelimit-remaining-tokens"] = String(Math.max(0, tpm - tokens));
      headers["x-ratelimit-reset-tokens"] = formatResetDuration(msUntil(window.tokens, bucket, now, (used) => used === 0));
    }
    this.sweep(bucket);
    if (allowed) return { allowed, headers };

    const waitRequests = overRequests ? msUntil(window.requests, bucket, now, (used) => used < rpm) : 0;
    const waitTokens = overTokens ? msUntil(window.tokens, bucket, now, (used) => used < tpm) : 0;
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
    const bucket = Math.floor(this.now() / bucketMs);
    this.touch(keyId, bucket).tokens[bucket % bucketCount] += tokens;
    this.sweep(bucket);
  }

  /** Keys currently tracked (tests, metrics). */
  get trackedKeys(): number {
    return this.windows.size;
  }

  private touch(keyId: string, bucket: number): KeyWindow {
    let window = this.windows.get(keyId);
    if (window) this.windows.delete(keyId);
    else window = { requests: new Float64Array(bucketCount), tokens: new Float64Array(bucketCount), lastBucket: bucket };
    this.windows.set(keyId, window);
    advance(window, bucket);
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

/** Ms until the usage left in the window satisfies `fits`, as buckets expire oldest first. */
function msUntil(counts: Float64Array, bucket: number, now: number, fits: (used: number) => boolean): number {
  let used = sum(counts);
  if (fits(used)) return 0;
  for (let b = bucket - bucketCount + 1; b <= bucket; b++) {
    used -= counts[b % bucketCount];
    // Bucket b holds events from [b, b+1) s and leaves the window at (b + 1) s + 60 s.
    if (fits(used)) return (b + bucketCount) * bucketMs - now;
  }
  return windowMs + bucketMs;
}

/** OpenAI's duration style: "0s", "250ms", "12s", "1m0s". */
export function formatResetDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

const globalForLimiter = globalThis as unknown as { morpheusRateLimiter?: RateLimiter };

/** The process-wide limiter with the defaults of GATEWAY_DEFAULT_RPM / GATEWAY_DEFAULT_TPM. */
export function gatewayRateLimiter(): RateLimiter {
  const config = env();
  globalForLimiter.morpheusRateLimiter ??= new RateLimiter({ defaultRpm: config.GATEWAY_DEFAULT_RPM, defaultTpm: config.GATEWAY_DEFAULT_TPM });
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
