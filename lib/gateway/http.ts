// What every /api/v1 route handler shares, done once: a request id on every response, API key
// auth, per-key rate limits, body size and JSON parsing, the usage record of inference requests,
// and mapping errors to OpenAI's error shape (causes are logged with the request id, not shown).
import "server-only";
import { randomBytes } from "node:crypto";
import type { AuthenticatedKey } from "@/lib/auth";
import { isDatabaseUnavailable } from "@/lib/db";
import { clientAddress } from "@/lib/http";
import { describeError } from "@/lib/redact";
import { ApiError } from "./errors";
import { getGateway, type Gateway } from "./runtime";
import type { UsageStart } from "./session-manager";
import type { UsageEntry } from "./usage";

/** The usage record of one inference request, filled in while it runs. */
export class UsageTracker {
  private finished = false;
  /** Set by a streaming handler: the record is written when its stream ends, not when it returns. */
  deferred = false;
  readonly entry: Omit<UsageEntry, "durationMs" | "status" | "errorCode">;
  readonly started = Date.now();
  private readonly onFinish: (() => void)[] = [];
  private readonly unregister: () => void;

  constructor(
    private readonly gateway: Gateway,
    private readonly key: AuthenticatedKey,
    requestId: string,
    endpoint: UsageEntry["endpoint"],
  ) {
    this.entry = { apiKeyId: key.id, requestId, endpoint, stream: false, model: "", promptTokens: 0, completionTokens: 0 };
    // A request (a stream, mostly) still running when the server shuts down is on record too.
    this.unregister = gateway.usage.begin(() => this.finish("error", "server_shutdown"));
  }

  /** What the claim of a session writes as this request's running record (see SessionManager.acquire). */
  runningRecord(): UsageStart {
    const { requestId, apiKeyId, endpoint, stream, model } = this.entry;
    return { requestId, apiKeyId, endpoint, stream, model, startedAt: new Date(this.started) };
  }

  /** Runs `done` when the request ends (its record is written), streams included. */
  whenFinished(done: () => void): void {
    this.onFinish.push(done);
  }

  /** Writes the record (once) and counts its tokens against the key's TPM limit. */
  finish(status: UsageEntry["status"], errorCode?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.unregister();
    for (const done of this.onFinish) done();
    this.gateway.usage.record({ ...this.entry, durationMs: Date.now() - this.started, status, ...(errorCode ? { errorCode } : {}) });
    const tokens = this.entry.promptTokens + this.entry.completionTokens;
    if (tokens > 0) this.gateway.limits.recordTokens(this.key.id, tokens);
  }
}

export interface ApiContext {
  request: Request;
  requestId: string;
  key: AuthenticatedKey;
  gateway: Gateway;
  /** Present on inference endpoints. */
  usage: UsageTracker | undefined;
}

type RouteParams = { params: Promise<Record<string, string>> };

export function jsonResponse(body: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status: init.status ?? 200, headers });
}

export function errorResponse(error: ApiError, requestId: string, extraHeaders: Record<string, string> = {}): Response {
  return jsonResponse(error.toBody(), { status: error.status, headers: { ...extraHeaders, ...error.options.headers, "x-request-id": requestId } });
}

/** Maps anything thrown to the ApiError shown to the caller; unexpected causes are logged. */
export function toApiError(error: unknown, requestId: string, log: { error(message: string): void }): ApiError {
  if (error instanceof ApiError) return error;
  // An outage, not a bug: the caller may retry; the cause is logged, never shown.
  if (isDatabaseUnavailable(error)) {
    log.error(`request ${requestId}: the database is unreachable: ${describeError(error)}`);
    return new ApiError("gateway_unavailable", "The gateway's database is unreachable; please retry shortly.", { headers: { "retry-after": "1" } });
  }
  log.error(`request ${requestId} failed: ${describeError(error, { stack: true })}`);
  return new ApiError("internal_error", `The gateway failed to process this request (request id ${requestId}).`);
}

/**
 * Wraps a /api/v1 route handler: `handler` runs only for a valid, non-revoked key within its rate
 * limits, and whatever it returns or throws leaves with an x-request-id and the rate limit headers.
 */
export function withApiKey(
  handler: (ctx: ApiContext, params: Record<string, string>) => Promise<Response>,
  options: { usageEndpoint?: UsageEntry["endpoint"] } = {},
) {
  return async (request: Request, route: RouteParams): Promise<Response> => {
    const requestId = newRequestId();
    let gateway: Gateway;
    let key: AuthenticatedKey | null;
    const client = clientAddress(request);
    try {
      gateway = await getGateway();
      // An address that keeps presenting wrong keys is refused before its next key costs a lookup.
      const blockedFor = gateway.authFailures.blockedFor(client);
      if (blockedFor > 0) {
        return errorResponse(
          new ApiError("rate_limit_exceeded", `Too many requests with an invalid API key from your address. Please retry after ${blockedFor} s.`, {
            headers: { "retry-after": String(blockedFor) },
          }),
          requestId,
        );
      }
      key = await gateway.keys.verify(request.headers.get("authorization"));
    } catch (error) {
      console.error(`[gateway] request ${requestId}: gateway unavailable: ${describeError(error, { stack: true })}`);
      return errorResponse(new ApiError("gateway_unavailable", "The gateway is temporarily unavailable; please retry shortly."), requestId);
    }
    if (!key) {
      if (request.headers.get("authorization")) gateway.authFailures.recordFailure(client);
      const message = request.headers.get("authorization")
        ? "Incorrect API key provided. You can find and create API keys in your dashboard."
        : "You didn't provide an API key. Send it in the Authorization header as `Bearer <key>`.";
      return errorResponse(new ApiError("invalid_api_key", message), requestId);
    }

    return serveForKey({ request, requestId, key, gateway }, handler, options.usageEndpoint, await route.params);
  };
}

/**
 * The part of withApiKey after authentication: the key's rate limits, the usage record of an
 * inference endpoint, `handler`, and errors mapped to OpenAI's shape with x-request-id and the
 * rate limit headers. Shared by /api/v1 and the in-process callers of lib/gateway/in-process.ts.
 */
export async function serveForKey(
  base: Omit<ApiContext, "usage">,
  handler: (ctx: ApiContext, params: Record<string, string>) => Promise<Response>,
  usageEndpoint: UsageEntry["endpoint"] | undefined,
  params: Record<string, string> = {},
  onServed?: (ctx: ApiContext) => void,
): Promise<Response> {
  const { requestId, key, gateway } = base;
  const usage = usageEndpoint ? new UsageTracker(gateway, key, requestId, usageEndpoint) : undefined;
  const leave = usage ? gateway.concurrency.tryEnter(key.id) : () => {};
  if (!leave) {
    usage?.finish("error", "rate_limit_exceeded");
    return errorResponse(
      new ApiError("rate_limit_exceeded", "Too many requests running at once for this API key. Please retry when one has finished.", { headers: { "retry-after": "1" } }),
      requestId,
    );
  }
  usage?.whenFinished(leave);
  const decision = gateway.limits.check(key.id, key);
  if (!decision.allowed) {
    usage?.finish("error", "rate_limit_exceeded");
    const what = decision.limitedBy === "tokens" ? "tokens per minute" : "requests per minute";
    const error = new ApiError("rate_limit_exceeded", `Rate limit reached for this API key (${what}). Please retry after ${decision.retryAfterSeconds ?? 1} s.`, {
      headers: { "retry-after": String(decision.retryAfterSeconds ?? 1) },
      type: decision.limitedBy ?? "requests",
    });
    return errorResponse(error, requestId, decision.headers);
  }

  const ctx: ApiContext = { ...base, usage };
  try {
    const response = await handler(ctx, params);
    if (usage && !usage.deferred) usage.finish(response.ok ? "ok" : "error", response.ok ? undefined : `http_${response.status}`);
    for (const [name, value] of Object.entries(decision.headers)) response.headers.set(name, value);
    response.headers.set("x-request-id", requestId);
    onServed?.(ctx);
    return response;
  } catch (thrown) {
    // A client that left before the answer is not a failure of ours: on record as such, not logged as one.
    const error =
      ctx.request.signal.aborted && !(thrown instanceof ApiError)
        ? new ApiError("client_closed_request", "The client closed the request before the answer.")
        : toApiError(thrown, requestId, gateway.log);
    usage?.finish("error", error.code);
    return errorResponse(error, requestId, decision.headers);
  }
}

/** A fresh request id (`req_` + 24 hex characters), as every gateway response carries. */
export function newRequestId(): string {
  return `req_${randomBytes(12).toString("hex")}`;
}
