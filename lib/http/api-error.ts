// The one error type of our OpenAI-compatible HTTP APIs (the gateway's /api/v1 and the demo
// model), in OpenAI's shape and status codes so the official SDKs raise their usual exceptions.
// What is shown is written for the API user; causes (chain, database, provider internals) are
// logged server-side only. No "server-only" here: the demo model runs outside Next.js.

export type ApiErrorCode =
  | "invalid_api_key"
  | "model_not_found"
  | "invalid_request_error"
  | "request_too_large"
  | "request_timeout"
  | "rate_limit_exceeded"
  | "no_provider_available"
  | "upstream_error"
  | "gateway_unavailable"
  | "internal_error"
  | "unknown_url"
  | "method_not_allowed"
  | "client_closed_request";

const statusOf: Record<ApiErrorCode, number> = {
  invalid_api_key: 401,
  model_not_found: 404,
  invalid_request_error: 400,
  request_too_large: 413,
  request_timeout: 408,
  rate_limit_exceeded: 429,
  no_provider_available: 503,
  upstream_error: 502,
  gateway_unavailable: 503,
  internal_error: 500,
  unknown_url: 404,
  method_not_allowed: 405,
  // nginx's code for a client that left before the answer (nobody reads this response).
  client_closed_request: 499,
};

// OpenAI's `type` for each code (the SDKs show it; some clients branch on it).
const typeOf: Record<ApiErrorCode, string> = {
  invalid_api_key: "invalid_request_error",
  model_not_found: "invalid_request_error",
  invalid_request_error: "invalid_request_error",
  request_too_large: "invalid_request_error",
  request_timeout: "invalid_request_error",
  rate_limit_exceeded: "requests",
  no_provider_available: "service_unavailable",
  upstream_error: "upstream_error",
  gateway_unavailable: "service_unavailable",
  internal_error: "server_error",
  unknown_url: "invalid_request_error",
  method_not_allowed: "invalid_request_error",
  client_closed_request: "invalid_request_error",
};

export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// Next.js bundles instrumentation.ts (which builds the gateway) apart from the route handlers, so
// this module is loaded twice in one server: the session pool throws one copy's ApiError and
// withApiKey checks against the other's. `instanceof` therefore checks a brand from the global
// symbol registry, which both copies share, instead of the class identity.
const apiErrorBrand: unique symbol = Symbol.for("morpheus.gateway.ApiError");

export class ApiError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { [apiErrorBrand]?: unknown })[apiErrorBrand] === true;
  }

  readonly [apiErrorBrand] = true;
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly options: { param?: string; headers?: Record<string, string>; status?: number; type?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.status = options.status ?? statusOf[code];
  }

  toBody(): ApiErrorBody {
    // OpenAI sends code null for plain invalid requests; the SDK reads `param` to point at the field.
    const code = this.code === "invalid_request_error" ? null : this.code;
    return { error: { message: this.message, type: this.options.type ?? typeOf[this.code], param: this.options.param ?? null, code } };
  }
}
