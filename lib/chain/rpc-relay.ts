// The browser's read access to the configured chain: a JSON-RPC relay that forwards only read
// methods (no signing, no raw transactions, no filters that hold state on the node) to RPC_URL,
// with a bounded body and batch, and an absolute deadline per call.
import { z } from "zod";
import { describeError } from "@/lib/redact";
import { chainRpc } from "./config";
import { relayMaxBatch } from "./relay-limits";

const readMethods = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_getBalance",
  "eth_getCode",
  "eth_getStorageAt",
  "eth_call",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_feeHistory",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getTransactionCount",
  "eth_getLogs",
]);

export const relayMaxBodyBytes = 64 * 1024;
const maxBatch = relayMaxBatch;
const deadlineMs = 15_000;

const call = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.number(), z.string().max(100), z.null()]),
  method: z.string().max(64),
  params: z.array(z.unknown()).max(8).optional(),
});
const payload = z.union([call, z.array(call).min(1).max(maxBatch)]);

type RpcCall = z.infer<typeof call>;

/** A JSON-RPC error reply for one call. */
function rpcError(id: RpcCall["id"], code: number, message: string) {
  return { jsonrpc: "2.0" as const, id, error: { code, message } };
}

/** Relays a parsed JSON body; answers with JSON-RPC errors (HTTP 200 per the JSON-RPC convention) or a 400 for a bad envelope. */
export async function relayChainRequest(body: unknown): Promise<Response> {
  const parsed = payload.safeParse(body);
  if (!parsed.success) return Response.json(rpcError(null, -32600, `Invalid request (at most ${maxBatch} calls of known shape)`), { status: 400 });
  const calls = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const refused = calls.filter((c) => !readMethods.has(c.method));
  const allowed = calls.filter((c) => readMethods.has(c.method));
  let forwarded: unknown[] = [];
  if (allowed.length > 0) {
    try {
      const response = await fetch(chainRpc().rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(allowed),
        signal: AbortSignal.timeout(deadlineMs),
      });
      const json: unknown = await response.json();
      forwarded = Array.isArray(json) ? json : [json];
    } catch (error) {
      console.error(`chain relay: the node failed: ${describeError(error)}`);
      forwarded = allowed.map((c) => rpcError(c.id, -32603, "The chain node could not be reached"));
    }
  }
  const replies = [...forwarded, ...refused.map((c) => rpcError(c.id, -32601, `Method ${c.method} is not available through this relay`))];
  return Response.json(Array.isArray(parsed.data) ? replies : replies[0], { headers: { "cache-control": "no-store" } });
}
