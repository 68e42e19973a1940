// One inference request through the session pool: claim (or open) a session, send the prompt
// over MOR-RPC and hand back the decrypted replies. A provider that fails before its first reply
// is skipped and the request goes to the next session / next-best bid; after the first reply there
// is no going back, and an error ends the stream. A failure one request can provoke never cools a
// provider down by itself (see faultOf).
import type { Address, Hash } from "viem";
import { promptSession, type Consumer } from "@/lib/consumer";
import { MorRpcError } from "@/lib/morrpc";
import { ApiError } from "./errors";
import type { GatewayModel } from "./models";
import type { SessionLease, SessionManager } from "./session-manager";

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
/** Failures a provider cannot cause by itself being broken but a request's content can (a provider's "internal error", a stalled or cut answer). */
const SUSPECT_CODES = new Set(["provider_error", "timeout", "connection_closed"]);

/**
 * Whose fault a failure before the first reply is. The provider's: it cannot be reached or breaks
 * the protocol (bad signature, undecryptable or non-JSON reply), or refuses a session it has just
 * approved. Suspect: it answered an error or stalled, which the request's content may have
 * provoked; the same request then goes to another provider, and only if another one serves it is
 * the first one at fault. The request's: the model answered an error (never a provider's fault).
 */
function faultOf(error: MorRpcError, freshSession: boolean): "provider" | "session" | "suspect" {
  if (error.code === "provider_error" && SESSION_LEVEL.test(error.message)) return freshSession ? "provider" : "session";
  return SUSPECT_CODES.has(error.code) ? "suspect" : "provider";
}

/** The provider's model answered an error: an API error with its type and parameter, in our words (the text is logged). */
export function upstreamApiError(error: MorRpcError, log?: { error(message: string): void }, requestId?: string): ApiError {
  const body = (error.details as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } } | undefined)?.error;
  log?.error(`request ${requestId}: the provider's model answered an error: ${JSON.stringify(error.details ?? error.message).slice(0, 1000)}`);
  if (body?.type === "invalid_request_error") {
    const param = typeof body.param === "string" && /^[\w.[\]-]{1,64}$/.test(body.param) ? body.param : undefined;
    return new ApiError("invalid_request_error", `The provider's model refused the request as invalid${param ? ` (parameter ${param})` : ""}.`, { param, cause: error });
  }
  return new ApiError("upstream_error", "The provider's model could not process this request.", { cause: error });
}

export async function* runInference(
  deps: { sessions: SessionManager; consumer: Consumer; log?: { error(message: string): void } },
  request: { kind: InferenceKind; model: GatewayModel; body: Record<string, unknown>; requestId: string; signal: AbortSignal; firstByteTimeoutMs: number },
  trace: InferenceTrace,
): AsyncGenerator<unknown> {
  const payload = request.kind === "embeddings" ? { ...request.body, type: "embeddings" } : request.body;
  const exclude = new Set<string>();
  /** Providers that failed this request in a way the request may have provoked: at fault only if another one serves it. */
  const suspects: { provider: Address; reason: string }[] = [];
  const started = Date.now();
  /** Every provider left failed the request in a way it may have provoked: the request is the cause, and nobody is cooled down. */
  const requestFault = (cause: unknown) => {
    deps.log?.error(`request ${request.requestId}: no provider could process it: ${suspects.map((s) => `${s.provider}: ${s.reason}`).join("; ")}`);
    return new ApiError("upstream_error", "No provider could process this request.", { cause });
  };
  for (let attempt = 1; ; attempt++) {
    trace.attempts = attempt;
    let lease: SessionLease;
    try {
      lease = await deps.sessions.acquire(request.model, { signal: request.signal, exclude });
    } catch (error) {
      if (suspects.length > 0 && error instanceof ApiError && error.code === "no_provider_available") throw requestFault(error);
      throw error;
    }
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
        if (replies++ === 0) {
          trace.ttftMs = Date.now() - started;
          // Another provider serves what the suspects failed: the failure was theirs.
          for (const s of suspects.splice(0)) deps.sessions.markProviderFailed(s.provider, s.reason);
        }
        if (reply.done) return;
        yield reply.data;
      }
      return;
    } catch (error) {
      if (request.signal.aborted) throw error; // the client left; the session itself is fine
      if (lease.holdExpired.aborted) {
        throw new ApiError("upstream_error", "The provider took longer than the gateway allows one request to take.", { status: 504, cause: error });
      }
      if (error instanceof MorRpcError && error.code === "upstream_error") throw upstreamApiError(error, deps.log, request.requestId);
      if (!(error instanceof MorRpcError) || error.code === "aborted") throw error;
      if (replies > 0) {
        // Mid-stream: the caller ends the stream with an error event. The session's state is unknown.
        outcome = "broken";
        note = error.message;
        throw error;
      }
      const provider = lease.session.provider;
      // Each opening stakes MOR: a provider whose fresh session fails before any reply gets no new one for a while.
      if (lease.opened) deps.sessions.pauseOpenings(provider, error.message);
      const fault = faultOf(error, lease.opened);
      if (fault === "suspect") {
        // The session itself is fine (the provider answered, or the connection ended): it stays in the pool.
        suspects.push({ provider, reason: error.message });
      } else {
        outcome = "broken";
        note = error.message;
        if (fault === "provider") deps.sessions.markProviderFailed(provider, error.message);
      }
      if (fault !== "session") exclude.add(provider.toLowerCase());
      if (attempt >= MAX_ATTEMPTS) {
        if (fault === "suspect") throw requestFault(error);
        throw new ApiError("no_provider_available", "No provider could serve this request; please retry shortly.", { cause: error });
      }
    } finally {
      await deps.sessions.release(lease, outcome, note);
    }
  }
}
