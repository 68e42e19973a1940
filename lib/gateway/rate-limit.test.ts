// Per-key RPM / TPM limits over a sliding minute, with a hand-driven clock.
import { describe, expect, it } from "vitest";
import { formatResetDuration, FailedAuthLimiter, ConcurrencyLimiter, RateLimiter } from "./rate-limit";

function limiter(options: { defaultRpm?: number; defaultTpm?: number; maxKeys?: number } = {}) {
  const clock = { now: 1_000_000_000_000 }; // on a second boundary
  const rateLimiter = new RateLimiter({ defaultRpm: 600, defaultTpm: 1_000_000, ...options, now: () => clock.now });
  return { rateLimiter, clock };
}

const own = (rpmLimit: number | null, tpmLimit: number | null = null) => ({ rpmLimit, tpmLimit });

describe("RateLimiter requests per minute", () => {
  it("admits the limit, then refuses with Retry-After and OpenAI's headers, without counting refusals", () => {
    const { rateLimiter, clock } = limiter();
    for (let i = 0; i < 3; i++) {
      const decision = rateLimiter.check("k", own(3));
      expect(decision.allowed).toBe(true);
      expect(decision.headers["x-ratelimit-remaining-requests"]).toBe(String(2 - i));
    }
    clock.now += 10_000;
    const refused = rateLimiter.check("k", own(3));
    expect(refused).toMatchObject({ allowed: false, limitedBy: "requests", retryAfterSeconds: 51 });
    expect(refused.headers).toMatchObject({
      "x-ratelimit-limit-requests": "3",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "51s",
      "x-ratelimit-limit-tokens": "1000000",
      "x-ratelimit-remaining-tokens": "1000000",
      "x-ratelimit-reset-tokens": "0s",
    });
    clock.now += 50_999; // 60.999 s after the first three: their bucket is still in the window
    expect(rateLimiter.check("k", own(3)).allowed).toBe(false);
    clock.now += 1;
    expect(rateLimiter.check("k", own(3)).allowed).toBe(true);
  });

  it("slides: requests leave the window one second-bucket at a time", () => {
    const { rateLimiter, clock } = limiter();
    const at = (ms: number) => {
      clock.now = 1_000_000_000_000 + ms;
      return rateLimiter.check("k", own(3));
    };
    expect(at(0).allowed).toBe(true);
    expect(at(30_000).allowed).toBe(true);
    expect(at(30_500).allowed).toBe(true);
    const refused = at(45_000);
    expect(refused.retryAfterSeconds).toBe(16); // the t=0 request leaves at 61 s
    expect(refused.headers["x-ratelimit-reset-requests"]).toBe("46s"); // all three gone at 91 s
    expect(at(61_000).allowed).toBe(true);
    expect(at(61_000).allowed).toBe(false);
    expect(at(91_000).headers["x-ratelimit-remaining-requests"]).toBe("1"); // t=30 s ones gone, t=61 s ones not
  });

  it("never admits more than the limit in any 60 s span", () => {
    const { rateLimiter, clock } = limiter();
    const admitted: number[] = [];
    for (let t = 0; t < 300_000; t += 137) {
      clock.now = 1_000_000_000_000 + t;
      if (rateLimiter.check("k", own(50)).allowed) admitted.push(t);
    }
    for (let i = 0; i + 50 < admitted.length; i++) expect(admitted[i + 50] - admitted[i]).toBeGreaterThanOrEqual(60_000);
    expect(admitted.length).toBeGreaterThan(200); // and it does admit close to the limit
  });

  it("keeps keys apart and falls back to the default limit", () => {
    const { rateLimiter } = limiter({ defaultRpm: 2 });
    expect(rateLimiter.check("a", own(null)).allowed).toBe(true);
    expect(rateLimiter.check("a", own(null)).allowed).toBe(true);
    expect(rateLimiter.check("a", own(null)).allowed).toBe(false);
    expect(rateLimiter.check("b", own(null)).allowed).toBe(true);
    expect(rateLimiter.check("a", own(5)).allowed).toBe(true); // the key's own limit wins
  });

  it("treats 0 as unlimited and then sends no headers for that limit", () => {
    const { rateLimiter } = limiter({ defaultRpm: 0, defaultTpm: 0 });
    for (let i = 0; i < 1000; i++) expect(rateLimiter.check("k", own(null))).toEqual({ allowed: true, headers: {} });
    const tokensOnly = rateLimiter.check("k", own(null, 100));
    expect(Object.keys(tokensOnly.headers).sort()).toEqual(["x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"]);
  });
});

describe("RateLimiter tokens per minute", () => {
  it("refuses the request after the one that went over, until enough tokens leave the window", () => {
    const { rateLimiter, clock } = limiter();
    expect(rateLimiter.check("k", own(null, 1000)).allowed).toBe(true);
    rateLimiter.recordTokens("k", 700);
    clock.now += 5_000;
    const second = rateLimiter.check("k", own(null, 1000));
    expect(second).toMatchObject({ allowed: true, headers: { "x-ratelimit-remaining-tokens": "300", "x-ratelimit-reset-tokens": "56s" } });
    rateLimiter.recordTokens("k", 800); // the response went over: known only now
    const refused = rateLimiter.check("k", own(null, 1000));
    expect(refused).toMatchObject({ allowed: false, limitedBy: "tokens", retryAfterSeconds: 56, headers: { "x-ratelimit-remaining-tokens": "0" } });
    clock.now += 56_000; // the first 700 leave: 800 < 1000
    expect(rateLimiter.check("k", own(null, 1000)).allowed).toBe(true);
  });

  it("ignores nonsense token counts", () => {
    const { rateLimiter } = limiter();
    for (const tokens of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) rateLimiter.recordTokens("k", tokens);
    expect(rateLimiter.check("k", own(null, 10)).headers["x-ratelimit-remaining-tokens"]).toBe("10");
  });
});

describe("RateLimiter memory", () => {
  it("drops keys idle for a whole window", () => {
    const { rateLimiter, clock } = limiter();
    for (let i = 0; i < 1000; i++) rateLimiter.check(`key-${i}`, own(10));
    expect(rateLimiter.trackedKeys).toBe(1000);
    clock.now += 30_000;
    rateLimiter.check("key-5", own(10));
    expect(rateLimiter.trackedKeys).toBe(1000);
    clock.now += 31_000;
    rateLimiter.check("fresh", own(10));
    expect(rateLimiter.trackedKeys).toBe(2); // key-5 (used 31 s ago) and fresh
  });

  it("never tracks more than maxKeys", () => {
    const { rateLimiter } = limiter({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) rateLimiter.check(`key-${i}`, own(10));
    expect(rateLimiter.trackedKeys).toBe(100);
  });
});

describe("formatResetDuration", () => {
  it("writes durations like OpenAI", () => {
    expect(formatResetDuration(0)).toBe("0s");
    expect(formatResetDuration(-5)).toBe("0s");
    expect(formatResetDuration(250)).toBe("250ms");
    expect(formatResetDuration(1000)).toBe("1s");
    expect(formatResetDuration(12_001)).toBe("13s");
    expect(formatResetDuration(60_000)).toBe("1m0s");
    expect(formatResetDuration(61_500)).toBe("1m2s");
  });
});

describe("FailedAuthLimiter", () => {
  it("refuses an address for the rest of its minute once it failed perMinute times; other addresses are not affected", () => {
    const clock = { now: 1_000_000 };
    const limiter = new FailedAuthLimiter(3, 100, () => clock.now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blockedFor("203.0.113.7")).toBe(0);
      limiter.recordFailure("203.0.113.7");
    }
    expect(limiter.blockedFor("203.0.113.7")).toBe(60);
    expect(limiter.blockedFor("198.51.100.1")).toBe(0);
    clock.now += 45_000;
    expect(limiter.blockedFor("203.0.113.7")).toBe(15);
    clock.now += 15_000;
    expect(limiter.blockedFor("203.0.113.7")).toBe(0);
  });

  it("never tracks more than maxAddresses: the oldest window is dropped first", () => {
    const limiter = new FailedAuthLimiter(1, 100);
    for (let i = 0; i < 10_000; i++) limiter.recordFailure(`address-${i}`);
    expect(limiter.tracked).toBe(100);
    expect(limiter.blockedFor("address-9999")).toBeGreaterThan(0);
    expect(limiter.blockedFor("address-0")).toBe(0);
  });
});

describe("ConcurrencyLimiter", () => {
  it("admits at most max requests per key at once; a request counted out frees its place once", () => {
    const limiter = new ConcurrencyLimiter(2);
    const a = limiter.tryEnter("key")!;
    const b = limiter.tryEnter("key")!;
    expect(limiter.tryEnter("key")).toBeNull();
    expect(limiter.tryEnter("other key")).not.toBeNull();
    a();
    a(); // twice counts once
    const c = limiter.tryEnter("key");
    expect(c).not.toBeNull();
    expect(limiter.tryEnter("key")).toBeNull();
    b();
    c!();
    expect(new ConcurrencyLimiter(0).tryEnter("key")).not.toBeNull();
  });
});
