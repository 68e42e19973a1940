import { clearedSessionCookieHeader, revokeWebSession, sessionTokenOf, withWebRequest } from "@/lib/auth/web-session";

// POST /api/auth/sign-out — revokes this browser's session server-side and deletes its cookie.
export const POST = withWebRequest(async ({ request, db }) => {
  await revokeWebSession(db, sessionTokenOf(request));
  return Response.json({ signedOut: true }, { headers: { "set-cookie": clearedSessionCookieHeader(request), "cache-control": "no-store" } });
});
