import { withWebRequest } from "@/lib/auth/web-session";

// GET /api/auth/session — who is signed in in this browser ({ address } or null).
export const GET = withWebRequest(({ user }) =>
  Response.json({ user: user ? { address: user.address, expiresAt: user.sessionExpiresAt.toISOString() } : null }, { headers: { "cache-control": "no-store" } }),
);
