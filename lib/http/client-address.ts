// The client address that per-address limits count (failed API keys, SIWE nonces, chain reads):
// one a client cannot choose. `next start` keeps an X-Forwarded-For the client sent and fills it
// in from the socket only when absent (node_modules/next/dist/server/base-server.js:
// `req.headers['x-forwarded-for'] ??= socket.remoteAddress`), so a client could name any address.
// Our server appends the socket's address itself, as a reverse proxy does (installPeerAddress,
// from instrumentation.ts), and marks the request with a per-process secret; TRUST_PROXY_HOPS
// says how many of the rightmost entries our own reverse proxies added.
import { env } from "@/lib/env";

/** Set by the server on every request it stamped; a client-sent value is overwritten. */
export const PEER_MARK_HEADER = "x-morpheus-peer-mark";
/** Where requests the server did not stamp are counted (all together). */
export const UNVERIFIED_CLIENT = "unverified";

const markKey = Symbol.for("morpheus.http.peerMark");
const warnedKey = Symbol.for("morpheus.http.peerMarkWarned");
type Store = { [markKey]?: string; [warnedKey]?: boolean };

/** This process's secret mark (shared by the server hook and every route bundle through globalThis). */
function peerMark(): string {
  const store = globalThis as Store;
  store[markKey] ??= Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  return store[markKey];
}

/**
 * What the server does to each request it receives, before Next.js sees it: X-Forwarded-For
 * becomes the received chain plus the socket's address, and the request is marked as stamped.
 */
export function stampPeerAddress(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined): void {
  const received = headers["x-forwarded-for"];
  const chain = (Array.isArray(received) ? received.join(", ") : received)?.trim();
  const peer = remoteAddress || "unknown";
  headers["x-forwarded-for"] = chain ? `${chain}, ${peer}` : peer;
  headers[PEER_MARK_HEADER] = peerMark();
}

/**
 * The client's address, for rate limits only: the socket's address (TRUST_PROXY_HOPS=0), or the
 * address the outermost of N trusted reverse proxies saw (the entry N from the right).
 */
export function clientAddress(request: Request): string {
  if (request.headers.get(PEER_MARK_HEADER) !== peerMark()) {
    // Only a request that arrived before instrumentation.ts ran, or a server without the hook.
    const store = globalThis as Store;
    if (!store[warnedKey]) console.warn("[http] a request reached a route without the server's peer address: per-address limits count it as 'unverified'");
    store[warnedKey] = true;
    return UNVERIFIED_CLIENT;
  }
  const entries = (request.headers.get("x-forwarded-for") ?? "").split(",");
  // Fewer entries than hops: the request did not come through every proxy; the leftmost is the nearest we have.
  const entry = entries[Math.max(0, entries.length - 1 - env().TRUST_PROXY_HOPS)]?.trim();
  return entry ? entry.slice(0, 64) : "unknown";
}
