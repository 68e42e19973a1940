// Inference for callers inside this process that act for a key they authenticated another way:
// the browser playground, signed in with its web session, runs on the user's playground key, whose
// secret is never issued. The request takes the path of POST /api/v1/chat/completions with that
// key — its rate limits, its usage record, the same errors and the same response — minus the
// Authorization header. Nothing here reaches a browser: the caller turns the response into its own.
import "server-only";
import { findApiKeyById } from "@/lib/auth/api-keys";
import type { AuthenticatedKey } from "@/lib/auth";
import { db } from "@/lib/db";
import { describeError } from "@/lib/redact";
import { ApiError } from "./errors";
import { errorResponse, newRequestId, serveForKey, type ApiContext } from "./http";
import { createChatCompletion } from "./openai-api";
import { getGateway, type Gateway } from "./runtime";

export interface InProcessChat {
  /** What /api/v1/chat/completions answers: SSE when `body.stream`, else JSON; errors in OpenAI's shape. */
  response: Response;
  requestId: string;
  /** The provider and on-chain session that served it: known once the first reply came (absent on an error before). */
  providerAddress?: string;
  sessionId?: string;
}

/**
 * Runs the chat completion `body` (an OpenAI request body) for the key `keyId`, in-process. The
 * key must exist, be unrevoked and unexpired (else a 401 `invalid_api_key` response). `signal`
 * stops the upstream work before the first reply; cancelling the returned body stops it after
 * (the usage record then says `client_closed_request`).
 */
export async function chatCompletionForKey(keyId: string, body: Record<string, unknown>, signal: AbortSignal): Promise<InProcessChat> {
  const requestId = newRequestId();
  let gateway: Gateway;
  let key: AuthenticatedKey | null;
  try {
    gateway = await getGateway();
    key = usableKey(await findApiKeyById(db(), keyId));
  } catch (error) {
    console.error(`[gateway] request ${requestId}: gateway unavailable: ${describeError(error, { stack: true })}`);
    const unavailable = new ApiError("gateway_unavailable", "The gateway is temporarily unavailable; please retry shortly.");
    return { response: errorResponse(unavailable, requestId), requestId };
  }
  if (!key) return { response: errorResponse(new ApiError("invalid_api_key", "This key is revoked, expired or unknown."), requestId), requestId };

  const request = new Request("http://in-process.invalid/api/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  let served: ApiContext | undefined;
  const response = await serveForKey({ request, requestId, key, gateway }, (ctx) => createChatCompletion(ctx), "chat.completions", {}, (ctx) => (served = ctx));
  const entry = served?.usage?.entry;
  return { response, requestId, providerAddress: entry?.providerAddress, sessionId: entry?.sessionId };
}

function usableKey(row: Awaited<ReturnType<typeof findApiKeyById>>, now = Date.now()): AuthenticatedKey | null {
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return null;
  const { id, userId, ownerAddress, name, prefix, allowedModels, rpmLimit, tpmLimit, expiresAt } = row;
  return { id, userId, ownerAddress, name, prefix, allowedModels, rpmLimit, tpmLimit, expiresAt };
}
