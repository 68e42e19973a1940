import { issueSiweNonce, IssueRateLimiter } from "@/lib/auth/siwe";
import { pruneWebAuthRows, withWebRequest } from "@/lib/auth/web-session";

// Per process: 20 nonces a minute per client address, 600 for everyone together.
const limiter = new IssueRateLimiter({ perClient: 20, total: 600, windowMs: 60_000 });

/** The client's address as the nearest proxy reports it (Next.js route handlers do not expose the socket). */
function clientAddress(request: Request): string {
  return request.headers.get("x-forwarded-for")?.split(",")[0]?.trim().slice(0, 64) || request.headers.get("x-real-ip")?.slice(0, 64) || "unknown";
}

// POST /api/auth/nonce — a single-use nonce for the next Sign-In with Ethereum message.
export const POST = withWebRequest(async ({ request, db }) => {
  limiter.take(clientAddress(request));
  const now = new Date();
  const { nonce, expiresAt } = await issueSiweNonce(db, now);
  void pruneWebAuthRows(db, now);
  return Response.json({ nonce, expiresAt: expiresAt.toISOString() }, { headers: { "cache-control": "no-store" } });
});
