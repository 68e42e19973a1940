import { clientAddress } from "@/lib/http";
import { ClientRateLimiter } from "@/lib/auth/siwe";
import { parseJsonBody, withWebRequest } from "@/lib/auth/web-session";
import { relayChainRequest, relayMaxBodyBytes } from "@/lib/chain/rpc-relay";
import { z } from "zod";

// Per process: 300 relayed requests a minute per client address, 6000 for everyone together.
const limiter = new ClientRateLimiter({ perClient: 300, total: 6000, windowMs: 60_000, what: "chain reads" });

// POST /api/chain/rpc — the portal pages' read-only JSON-RPC access to the configured chain (same origin only).
export const POST = withWebRequest(async ({ request }) => {
  limiter.take(clientAddress(request));
  return relayChainRequest(await parseJsonBody(request, z.unknown(), relayMaxBodyBytes));
});
