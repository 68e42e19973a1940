// One inference request through the session pool: claim (or open) a session, send the prompt
// over MOR-RPC and hand back the decrypted replies. A provider that refuses or fails before its
// first reply is skipped and the request goes to the next session / next-best bid; after the
// first reply there is no going back, and an error ends the stream.
import type { Address, Hash } from "viem";
import { promptSession, type Consumer } from "@/lib/consumer";
import { MorRpcError } from "@/lib/morrpc";
import { ApiError } from "./errors";
import type { GatewayModel } from "./models";
import type { SessionManager, UsageStart } from "./session-manager";

export type InferenceKind = "chat" | "embeddings";

/** What the request ended up using; filled in as it goes (for usage records). */
export interface InferenceTrace {
  provider?: Address;
  sessionId?: Hash;
  ttftMs?: number;
  attempts: number;
}

const MAX_ATTEMPTS = 3;
/** Provider replies that concern one session only: the session is dropped, the provider is not. */
const SESSION_LEVEL = /^(session expired|session closed|session cannot be loaded|user not found)/;

/** An error before the first reply that another session or provider may not have. */
function isProviderFailure(error: unknown): error is MorRpcError {
  return error instanceof MorRpcError && error.code !== "upstream_error" && error.code !== "aborted";
}

/** The provider's model answered an error: pass it on as the API's error. */
export function upstreamApiError(error: MorRpcError): ApiError {
  const body = (error.details as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } } | undefined)?.error;
  const message = typeof body?.message === "string" ? body.message : error.message;
  if (body?.type === "invalid_request_error") {
    return new ApiError("invalid_request_error", message, { param: typeof body.param === "string" ? body.param : undefined, cause: error });
  }
  return new ApiError("upstream_error", `The provider's model returned an error: ${message}`, { cause: error });
}

export async function* runInference(
  deps: { sessions: SessionManager; consumer: Consumer },
  request: { kind: InferenceKind; model: GatewayModel; body: Record<string, unknown>; requestId: string; signal: AbortSignal; firstByteTimeoutMs: number; usage?: UsageStart },
  trace: InferenceTrace,
): AsyncGenerator<unknown> {
  const payload = request.kind === "embeddings" ? { ...request.body, type: "embeddings" } : request.body;
  const exclude = new Set<string>();
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    trace.attempts = attempt;
    const lease = await deps.sessions.acquire(request.model, { signal: request.signal, exclude, usage: request.usage });
    trace.provider = lease.session.provider;
    trace.sessionId = lease.session.sessionId;
    let replies = 0;
    let outcome: "ok" | "broken" = "ok";
    let note: string | undefined;
    try {
      const replyStream = promptSession(deps.consumer, lease.session, payload, {
        // Bounded: a request never holds a session long enough for the abandoned-claim sweep to free it.
        signal: AbortSignal.any([request.signal, lease.holdExpired]),
        requestId: request.requestId,
        timeouts: { firstByteMs: request.firstByteTimeoutMs },
      });
      for await (const reply of replyStream) {
        if (replies++ === 0) trace.ttftMs = Date.now() - started;
        if (reply.done) return;
        yield reply.data;
      }
      return;
    } catch (error) {
      if (request.signal.aborted) throw error; // the client left; the session itself is fine
      if (lease.holdExpired.aborted) {
        throw new ApiError("upstream_error", "The provider took longer than the gateway allows one request to take.", { status: 504, cause: error });
      }
      if (error instanceof MorRpcError && error.code === "upstream_error") throw upstreamApiError(error);
      if (!isProviderFailure(error)) throw error;
      outcome = "broken";
      note = error.message;
      const providerLevel = !SESSION_LEVEL.test(error.message);
      if (providerLevel) deps.sessions.markProviderFailed(lease.session.provider, error.message);
      if (replies > 0) throw error; // mid-stream: the caller ends the stream with an error event
      if (providerLevel) exclude.add(lease.session.provider.toLowerCase());
      if (attempt >= MAX_ATTEMPTS) {
        throw new ApiError("no_provider_available", "No provider could serve this request; please retry shortly.", { cause: error });
      }
    } finally {
      await deps.sessions.release(lease, outcome, note);
    }
  }
}
