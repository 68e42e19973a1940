import { siteOrigin } from "@/lib/auth/origin";
import { siweVerifyRequest, verifySiweSignIn } from "@/lib/auth/siwe";
import { openWebSession, parseJsonBody, revokeWebSession, sessionCookieHeader, sessionTokenOf, withWebRequest } from "@/lib/auth/web-session";
import { chainRpc, publicClient } from "@/lib/chain/config";

// POST /api/auth/verify — checks a signed SIWE message and opens a web session (httpOnly cookie).
export const POST = withWebRequest(async ({ request, db }) => {
  const body = await parseJsonBody(request, siweVerifyRequest, 32 * 1024);
  const origin = siteOrigin(request);
  const chain = chainRpc();
  const address = await verifySiweSignIn(db, publicClient(chain), { message: body.message, signature: body.signature as `0x${string}` }, { domain: new URL(origin).host, origin, chainId: chain.network.chain.id });
  // A browser signs in as one wallet at a time: a previous session of this browser ends here.
  await revokeWebSession(db, sessionTokenOf(request));
  const { token, user } = await openWebSession(db, address);
  return Response.json(
    { address: user.address, expiresAt: user.sessionExpiresAt.toISOString() },
    { headers: { "set-cookie": sessionCookieHeader(request, token, user.sessionExpiresAt), "cache-control": "no-store" } },
  );
});
