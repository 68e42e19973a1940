// POST /api/faucet {address}: test ETH and MOR for a wallet, on the local chain only (404 anywhere
// else). Same-origin browser requests only; per-address and global rate limits (lib/chain/faucet.ts).
import { formatEther } from "viem";
import { z } from "zod";
import { FAUCET_AMOUNTS, localFaucet } from "@/lib/chain/faucet";
import { env } from "@/lib/env";
import { describeError } from "@/lib/redact";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 1024;
const bodySchema = z.object({ address: z.string().max(100) });

function problem(status: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { message } }, { status, headers });
}

/** The Origin header must name the origin the request was sent to (no cross-site use of the faucet). */
function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin) return false;
  const url = new URL(request.url);
  const host = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || request.headers.get("host") || url.host;
  const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || url.protocol.replace(/:$/, "");
  return origin === `${proto}://${host}`;
}

export async function POST(request: Request): Promise<Response> {
  if (env().CHAIN !== "local") return problem(404, "Not found.");
  if (!isSameOrigin(request)) return problem(403, "The faucet only answers the portal's own pages.");
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return problem(413, "The request body is too large.");
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) return problem(413, "The request body is too large.");
  let parsed;
  try {
    parsed = bodySchema.safeParse(JSON.parse(text));
  } catch {
    return problem(400, 'Send JSON: {"address": "0x…"}.');
  }
  if (!parsed.success) return problem(400, 'Send JSON: {"address": "0x…"}.');

  try {
    const result = await localFaucet().claim(parsed.data.address);
    if (!result.ok) {
      return result.reason === "rate_limited"
        ? problem(429, result.message, { "retry-after": String(result.retryAfterSeconds ?? 60) })
        : problem(400, result.message);
    }
    return Response.json({
      address: result.address,
      eth: formatEther(FAUCET_AMOUNTS.eth),
      mor: formatEther(FAUCET_AMOUNTS.mor),
      ethTx: result.ethTx,
      morTx: result.morTx,
    });
  } catch (error) {
    console.error(`[faucet] ${describeError(error)}`);
    return problem(503, "The local chain did not take the transfers; is `npm start` still running?");
  }
}
