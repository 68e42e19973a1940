// The one error type of the cookie-authenticated web routes (/api/auth/*, and the dashboard,
// playground and provider routes built on withWebSession): a stable code, its HTTP status, and a
// message written for the person in the browser. Causes (database, chain) are logged, never shown.

export type WebAuthErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "forbidden_origin"
  | "domain_mismatch"
  | "uri_mismatch"
  | "chain_mismatch"
  | "message_expired"
  | "message_not_yet_valid"
  | "nonce_unknown"
  | "nonce_expired"
  | "nonce_used"
  | "signature_invalid"
  | "rate_limited"
  | "not_found"
  | "limit_reached"
  | "chain_unavailable"
  | "internal_error";

const statusOf: Record<WebAuthErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden_origin: 403,
  domain_mismatch: 403,
  uri_mismatch: 403,
  chain_mismatch: 400,
  message_expired: 401,
  message_not_yet_valid: 401,
  nonce_unknown: 401,
  nonce_expired: 401,
  nonce_used: 409,
  signature_invalid: 401,
  rate_limited: 429,
  not_found: 404,
  limit_reached: 409,
  chain_unavailable: 503,
  internal_error: 500,
};

// Route handlers and server components can be bundled apart and load two copies of this module:
// `instanceof` checks a brand from the global symbol registry (as lib/gateway/errors.ts does).
const brand: unique symbol = Symbol.for("morpheus.auth.WebAuthError");

export class WebAuthError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }

  readonly [brand] = true;
  readonly status: number;

  constructor(
    readonly code: WebAuthErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "WebAuthError";
    this.status = statusOf[code];
  }

  /** The JSON body every web route answers an error with: `{ error: { code, message } }`. */
  toResponse(): Response {
    return Response.json({ error: { code: this.code, message: this.message } }, { status: this.status, headers: this.headers });
  }
}
