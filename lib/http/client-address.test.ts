import { afterEach, describe, expect, it, vi } from "vitest";

// lib/env.ts reads the environment once per module instance: each case loads a fresh one.
async function load(trustProxyHops?: string) {
  vi.resetModules();
  if (trustProxyHops === undefined) vi.stubEnv("TRUST_PROXY_HOPS", "");
  else vi.stubEnv("TRUST_PROXY_HOPS", trustProxyHops);
  return import("./client-address");
}
afterEach(() => vi.unstubAllEnvs());

/** A request as the server hands it on: what the client sent, the socket's address appended. */
function received(stamp: (headers: Record<string, string>, socket: string) => void, socket: string, sent: Record<string, string> = {}): Request {
  const headers = { ...sent };
  stamp(headers, socket);
  return new Request("http://portal.test/api/v1/models", { headers });
}

describe("clientAddress", () => {
  it("is the socket's address with nothing in front, whatever X-Forwarded-For the client wrote", async () => {
    const { clientAddress, stampPeerAddress } = await load();
    expect(clientAddress(received(stampPeerAddress, "203.0.113.7"))).toBe("203.0.113.7");
    expect(clientAddress(received(stampPeerAddress, "203.0.113.7", { "x-forwarded-for": "198.51.100.1, 198.51.100.2" }))).toBe("203.0.113.7");
  });

  it("is the entry TRUST_PROXY_HOPS from the right behind that many proxies, and never further left than the chain goes", async () => {
    const { clientAddress, stampPeerAddress } = await load("2");
    // client → proxy A (appends the client) → proxy B (appends A) → us (appends B's socket)
    expect(clientAddress(received(stampPeerAddress, "10.0.0.2", { "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.1" }))).toBe("203.0.113.7");
    expect(clientAddress(received(stampPeerAddress, "10.0.0.2", { "x-forwarded-for": "10.0.0.1" }))).toBe("10.0.0.1");
  });

  it("counts requests the server did not stamp, or stamped with another process's mark, as one 'unverified' client", async () => {
    const { clientAddress, stampPeerAddress, PEER_MARK_HEADER, UNVERIFIED_CLIENT } = await load();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(clientAddress(new Request("http://portal.test/", { headers: { "x-forwarded-for": "203.0.113.7" } }))).toBe(UNVERIFIED_CLIENT);
    const forged = received(stampPeerAddress, "203.0.113.7");
    const headers = new Headers(forged.headers);
    headers.set(PEER_MARK_HEADER, "0".repeat(32));
    expect(clientAddress(new Request(forged.url, { headers }))).toBe(UNVERIFIED_CLIENT);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
