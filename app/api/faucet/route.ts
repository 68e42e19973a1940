// POST /api/faucet {address}: test ETH and MOR for a wallet, on the local chain only (404 anywhere
// else). The portal's own pages only (the Origin check of lib/auth); per-address and global rate
// limits (lib/chain/faucet.ts). Errors answer `{ error: { code, message } }` like the other web routes.
import { formatEther } from "viem";
import { z } from "zod";
import { assertSameOrigin } from "@/lib/auth/origin";
import { WebAuthError } from "@/lib/auth/web-auth-error";
import { parseJsonBody, webErrorResponse } from "@/lib/auth/web-session";
import { FAUCET_AMOUNTS, localFaucet } from "@/lib/chain/faucet";
import { env } from "@/lib/env";
import { describeError } from "@/lib/redact";

export const dynamic = "force-dynamic";

const bodySchema = z.object({ address: z.string().max(100) });

export async function POST(request: Request): Promise<Response> {
  if (env().CHAIN !== "local") return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
  try {
    assertSameOrigin(request);
    const { address } = await parseJsonBody(request, bodySchema, 1024);
    let result;
    try {
      result = await localFaucet().claim(address);
    } catch (error) {
      console.error(`[faucet] ${describeError(error)}`);
      return Response.json(
        { error: { code: "chain_unavailable", message: "The local chain did not take the transfers; is `npm start` still running?" } },
        { status: 503 },
      );
    }
    if (!result.ok) {
      throw result.reason === "rate_limited"
        ? new WebAuthError("rate_limited", result.message, { "retry-after": String(result.retryAfterSeconds ?? 60) })
        : new WebAuthError("invalid_request", result.message);
    }
    return Response.json({
      address: result.address,
      eth: formatEther(FAUCET_AMOUNTS.eth),
      mor: formatEther(FAUCET_AMOUNTS.mor),
      ethTx: result.ethTx,
      morTx: result.morTx,
    });
  } catch (error) {
    return webErrorResponse(error, request);
  }
}
