// One inference request through the session pool: claim (or open) a session, send the prompt
// over MOR-RPC and hand back the decrypted replies. A provider that fails before its first reply
// is skipped and the request goes to the next session / next-best bid; after the first reply there
// is no going back, and an error ends the stream. A failure one request can provoke never cools a
// provider down by itself (see faultOf).
//
// Slow is not dead: how long a model may think (per model, PromptTimeouts) is kept apart from
// whether its provider is alive. While nothing arrives, the provider is pinged on a separate
// connection; a provider that stops answering pings fails over and is cooled down. A model that
// overruns its limit while its provider answers pings ends the request with a 504, and neither the
// provider (no cooldown) nor its session (released, not closed) is punished.
import type { Address, Hash } from "viem";
import { promptSession, type Consumer, type OpenedSession } from "@/lib/consumer";
import { MorRpcError, pingProvider } from "@/lib/morrpc";
import { ApiError } from "./errors";
import type { GatewayModel } from "./models";
import type { SessionLease, SessionManager, UsageStart } from "./session-manager";

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
  request: {
    kind: InferenceKind;
    model: GatewayModel;
    body: Record<string, unknown>;
    requestId: string;
    signal: AbortSignal;
    timeouts: PromptTimeouts;
    /** Pause between liveness pings while the provider sends nothing (0 = no pings). */
    livenessPingMs: number;
    /** The running usage record the claim writes (SessionManager.acquire). */
    usage?: UsageStart;
  },
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
      lease = await deps.sessions.acquire(request.model, { signal: request.signal, exclude, usage: request.usage });
    } catch (error) {
      if (suspects.length > 0 && error instanceof ApiError && error.code === "no_provider_available") throw requestFault(error);
      throw error;
    }
    trace.provider = lease.session.provider;
    trace.sessionId = lease.session.sessionId;
    let replies = 0;
    let outcome: "ok" | "broken" = "ok";
    let note: string | undefined;
    const alive = new LivenessWatch(deps.consumer, lease.session, request.livenessPingMs);
    // Bounded: a request never holds a session long enough for the abandoned-claim sweep to free it.
    const promptSignal = AbortSignal.any([request.signal, lease.holdExpired, alive.gone]);
    alive.watch(promptSignal);
    try {
      const replyStream = promptSession(deps.consumer, lease.session, payload, {
        signal: promptSignal,
        requestId: request.requestId,
        timeouts: request.timeouts,
      });
      for await (const reply of replyStream) {
        alive.heard();
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
      // The model overran its limit: slow, or the provider is gone? One ping decides.
      let providerGone = alive.gone.aborted;
      const failure = providerGone ? (alive.gone.reason as MorRpcError) : error;
      if (!providerGone && error instanceof MorRpcError && error.code === "timeout") {
        if (await alive.answersPing()) {
          const what = replies === 0 ? `start answering within ${Math.round(request.timeouts.firstByteMs / 1000)} s` : `send more within ${Math.round(request.timeouts.idleMs / 1000)} s`;
          throw new ApiError("upstream_error", `The model did not ${what} (its limit on this gateway); its provider is up. Please retry.`, { status: 504, cause: error });
        }
        providerGone = true;
      }
      if (!(failure instanceof MorRpcError) || failure.code === "aborted") throw failure;
      if (replies > 0) {
        // Mid-stream: the caller ends the stream with an error event. The session's state is unknown.
        outcome = "broken";
        note = failure.message;
        if (providerGone) deps.sessions.markProviderFailed(lease.session.provider, failure.message);
        throw failure;
      }
      const provider = lease.session.provider;
      // Each opening stakes MOR: a provider whose fresh session fails before any reply gets no new one for a while.
      if (lease.opened) deps.sessions.pauseOpenings(provider, failure.message);
      // A provider that stopped answering pings is gone, whatever the request was.
      const fault = providerGone ? "provider" : faultOf(failure, lease.opened);
      if (fault === "suspect") {
        // The session itself is fine (the provider answered, or the connection ended): it stays in the pool.
        suspects.push({ provider, reason: failure.message });
      } else {
        outcome = "broken";
        note = failure.message;
        if (fault === "provider") deps.sessions.markProviderFailed(provider, failure.message);
      }
      if (fault !== "session") exclude.add(provider.toLowerCase());
      if (attempt >= MAX_ATTEMPTS) {
        if (fault === "suspect") throw requestFault(failure);
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
  private lastHeardAt = Date.now();
  private failures = 0;
  private watching = false;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  /** Pings under way, each with its own cancellation (the watch's own, and answersPing's). */
  private readonly pings = new Set<AbortController>();

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

  /**
   * Ends the watch and any ping under way. Plain timers rather than an abortable sleep: every
   * request ends its watch, and aborting a signal builds an error with a stack each time.
   */
  stop(): void {
    this.endWatch();
    for (const ping of this.pings) ping.abort();
  }

  /** Starts pinging in the background until stop() or `signal` aborts. */
  watch(signal: AbortSignal): void {
    if (this.everyMs <= 0 || signal.aborted) return;
    this.watching = true;
    const onAbort = () => this.endWatch();
    signal.addEventListener("abort", onAbort, { once: true });
    this.unwatch = () => signal.removeEventListener("abort", onAbort);
    this.timer = setTimeout(() => void this.check(), this.everyMs);
  }

  private endWatch(): void {
    if (!this.watching) return;
    this.watching = false;
    clearTimeout(this.timer);
    this.unwatch?.();
  }

  /** Pings when the prompt's connection has been quiet for everyMs; PINGS_TO_FAIL failures in a row abort `gone`. */
  private async check(): Promise<void> {
    if (!this.watching) return;
    const quietFor = Date.now() - this.lastHeardAt;
    if (quietFor < this.everyMs) {
      this.timer = setTimeout(() => void this.check(), this.everyMs - quietFor);
      return;
    }
    const error = await this.ping();
    if (!this.watching) return;
    this.failures = error ? this.failures + 1 : 0;
    if (error && this.failures >= PINGS_TO_FAIL) {
      this.goneController.abort(new MorRpcError(error.code === "timeout" ? "timeout" : "connection_closed", `provider stopped answering liveness pings: ${error.message}`));
      this.endWatch();
      return;
    }
    this.heard(); // a pong (or a first failure) restarts the quiet period
    this.timer = setTimeout(() => void this.check(), this.everyMs);
  }

  /** One ping now: true when the provider answers it. */
  async answersPing(): Promise<boolean> {
    return (await this.ping()) === undefined;
  }

  private async ping(): Promise<MorRpcError | undefined> {
    const cancel = new AbortController();
    this.pings.add(cancel);
    try {
      await pingProvider(this.session.endpoint, this.session.provider, this.consumer, {
        signal: cancel.signal,
        timeouts: { dialMs: PING_DIAL_MS, firstByteMs: PING_ANSWER_MS, idleMs: PING_ANSWER_MS },
      });
      return undefined;
    } catch (error) {
      return error instanceof MorRpcError ? error : new MorRpcError("connection_closed", (error as Error).message);
    } finally {
      this.pings.delete(cancel);
    }
  }
}
