import { describe, expect, it } from "vitest";
import { ClientRateLimiter } from "./siwe";
import { WebAuthError } from "./web-auth-error";

describe("ClientRateLimiter", () => {
  it("admits `perClient` per window per client, then refuses with Retry-After until the window ends", () => {
    let now = 0;
    const limiter = new ClientRateLimiter({ perClient: 2, total: 100, windowMs: 60_000, now: () => now });
    limiter.take("a");
    limiter.take("a");
    let refusal: unknown;
    try {
      limiter.take("a");
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(WebAuthError);
    expect(refusal).toMatchObject({ code: "rate_limited", status: 429, headers: { "retry-after": "60" } });
    limiter.take("b"); // another client is unaffected
    now = 60_000;
    limiter.take("a");
  });

  it("caps all clients together, so spoofed client addresses do not lift the limit", () => {
    const limiter = new ClientRateLimiter({ perClient: 5, total: 3, windowMs: 60_000, now: () => 0 });
    for (const client of ["a", "b", "c"]) limiter.take(client);
    expect(() => limiter.take("d")).toThrow(/Too many sign-in attempts/);
  });

  it("keeps at most maxClients windows (the oldest dropped first)", () => {
    const limiter = new ClientRateLimiter({ perClient: 1, total: 1000, windowMs: 60_000, maxClients: 3, now: () => 0 });
    for (const client of ["a", "b", "c", "d", "e"]) limiter.take(client);
    // "a" was forgotten (so admitted again); "e" is still remembered.
    limiter.take("a");
    expect(() => limiter.take("e")).toThrow(WebAuthError);
  });
});
