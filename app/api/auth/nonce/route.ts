import { clientAddress } from "@/lib/http";
import { ClientRateLimiter, issueSiweNonce } from "@/lib/auth/siwe";
import { pruneWebAuthRows, withWebRequest } from "@/lib/auth/web-session";

// Per process: 20 nonces a minute per client address, 600 for everyone together.
const limiter = new ClientRateLimiter({ perClient: 20, total: 600, windowMs: 60_000 });

// POST /api/auth/nonce — a single-use nonce for the next Sign-In with Ethereum message.
export const POST = withWebRequest(async ({ request, db }) => {
  limiter.take(clientAddress(request));
  const now = new Date();
  const { nonce, expiresAt } = await issueSiweNonce(db, now);
  void pruneWebAuthRows(db, now);
  return Response.json({ nonce, expiresAt: expiresAt.toISOString() }, { headers: { "cache-control": "no-store" } });
});
