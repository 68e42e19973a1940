// One inference request through the session pool: claim (or open) a session, send the prompt
// over MOR-RPC and hand back the decrypted replies. A provider that refuses or fails before its
// first reply is skipped and the request goes to the next session / next-best bid; after the
// first reply there is no going back, and an error ends the stream.
//
// Slow is not dead: how long a model may think (per model, PromptTimeouts) is kept apart from
// whether its provider is alive. While nothing arrives, the provider is pinged on a separate
// connection; a provider that stops answering pings fails over and is cooled down. A model that
// overruns its limit while its provider answers pings ends the request with a 504, and neither the
// provider (no cooldown) nor its session (released, not closed) is punished.
import { setTimeout as sleep } from "node:timers/promises";
import type { Address, Hash } from "viem";
import { promptSession, type Consumer, type OpenedSession } from "@/lib/consumer";
import { MorRpcError, pingProvider } from "@/lib/morrpc";
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

/** How long a model may take: to its first reply, and between two chunks. */
export interface PromptTimeouts {
  firstByteMs: number;
  idleMs: number;
}

const MAX_ATTEMPTS = 3;
/** Failed liveness pings in a row that make a provider count as gone. */
const PINGS_TO_FAIL = 2;
/** Each ping's own deadline (dial + answer). */
const PING_DIAL_MS = 3_000;
const PING_ANSWER_MS = 5_000;
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
  request: { kind: InferenceKind; model: GatewayModel; body: Record<string, unknown>; requestId: string;
    signal: AbortSignal;
    timeouts: PromptTimeouts;
    /** Pause between liveness pings while the provider sends nothing (0 = no pings). */
    livenessPingMs: number;
    usage?: UsageStart;
  },
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
    const alive = new LivenessWatch(deps.consumer, lease.session, request.livenessPingMs);
    const promptSignal = AbortSignal.any([request.signal, lease.holdExpired, alive.gone]);
    alive.watch(promptSignal);
    try {
      const replyStream = promptSession(deps.consumer, lease.session, payload, {
        // Bounded: a request never holds a session long enough for the abandoned-claim sweep to free it.
        signal: promptSignal,
        requestId: request.requestId,
        timeouts: request.timeouts,
      });
      for await (const reply of replyStream) {
        alive.heard();
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
      // The model overran its limit: slow, or the provider is gone? One ping decides.
      const failure = alive.gone.aborted ? (alive.gone.reason as MorRpcError) : error;
      if (!alive.gone.aborted && error instanceof MorRpcError && error.code === "timeout" && (await alive.answersPing())) {
        const what = replies === 0 ? `start answering within ${Math.round(request.timeouts.firstByteMs / 1000)} s` : `send more within ${Math.round(request.timeouts.idleMs / 1000)} s`;
        throw new ApiError("upstream_error", `The model did not ${what} (its limit on this gateway); its provider is up. Please retry.`, { status: 504, cause: error });
      }
      if (!isProviderFailure(failure)) throw failure;
      outcome = "broken";
      note = failure.message;
      const providerLevel = !SESSION_LEVEL.test(failure.message);
      if (providerLevel) deps.sessions.markProviderFailed(lease.session.provider, failure.message);
      if (replies > 0) throw failure; // mid-stream: the caller ends the stream with an error event
      if (providerLevel) exclude.add(lease.session.provider.toLowerCase());
      if (attempt >= MAX_ATTEMPTS) {
        throw new ApiError("no_provider_available", "No provider could serve this request; please retry shortly.", { cause: failure });
      }
    } finally {
      alive.stop();
      await deps.sessions.release(lease, outcome, note);
    }
  }
}

/**
 * Whether a provider is alive, apart from its model's speed: while the prompt's connection is
 * quiet for `everyMs`, the provider is pinged (network.ping, its own connection and deadline);
 * PINGS_TO_FAIL failures in a row abort `gone` with the last error (a provider failure).
 */
class LivenessWatch {
  private readonly goneController = new AbortController();
  private readonly stopped = new AbortController();
  private lastHeardAt = Date.now();

  constructor(
    private readonly consumer: Consumer,
    private readonly session: Pick<OpenedSession, "endpoint" | "provider">,
    private readonly everyMs: number,
  ) {}

  get gone(): AbortSignal {
    return this.goneController.signal;
  }

  heard(): void {
    this.lastHeardAt = Date.now();
  }

  stop(): void {
    this.stopped.abort();
  }

  /** Starts pinging in the background until stop() or `signal` aborts. */
  watch(signal: AbortSignal): void {
    if (this.everyMs <= 0) return;
    const until = AbortSignal.any([signal, this.stopped.signal]);
    void (async () => {
      let failures = 0;
      while (!until.aborted) {
        const quietFor = Date.now() - this.lastHeardAt;
        // Rejects only when `until` aborts, which ends the loop.
        if (!(await sleep(Math.max(0, this.everyMs - quietFor), true, { signal: until }).catch(() => false))) return;
        if (Date.now() - this.lastHeardAt < this.everyMs) continue;
        const error = await this.ping(until);
        if (until.aborted) return;
        failures = error ? failures + 1 : 0;
        if (error && failures >= PINGS_TO_FAIL) {
          this.goneController.abort(new MorRpcError(error.code === "timeout" ? "timeout" : "connection_closed", `provider stopped answering liveness pings: ${error.message}`));
          return;
        }
        this.heard(); // a pong (or a first failure) restarts the quiet period
      }
    })();
  }

  /** One ping now: true when the provider answers it. */
  async answersPing(): Promise<boolean> {
    return (await this.ping(this.stopped.signal)) === undefined;
  }

  private async ping(signal: AbortSignal): Promise<MorRpcError | undefined> {
    try {
      await pingProvider(this.session.endpoint, this.session.provider, this.consumer, { signal, timeouts: { dialMs: PING_DIAL_MS, firstByteMs: PING_ANSWER_MS, idleMs: PING_ANSWER_MS } });
      return undefined;
    } catch (error) {
      return error instanceof MorRpcError ? error : new MorRpcError("connection_closed", (error as Error).message);
    }
  }
}
