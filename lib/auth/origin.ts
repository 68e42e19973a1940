// Which origin a browser request belongs to, and the Origin check of every cookie-authenticated
// request that changes state (the CSRF defence alongside SameSite=Lax cookies).
import { env } from "@/lib/env";
import { WebAuthError } from "./web-auth-error";

/**
 * The site's own origin for this request: APP_ORIGIN when configured, else the origin the request
 * was addressed to (X-Forwarded-Host / Host, as a reverse proxy passes them). A browser cannot
 * forge these on a cross-site request without a CORS preflight, which this app never grants.
 */
export function siteOrigin(request: Request): string {
  const configured = env().APP_ORIGIN;
  if (configured) return configured;
  const url = new URL(request.url);
  const host = firstValue(request.headers.get("x-forwarded-host")) ?? request.headers.get("host") ?? url.host;
  const proto = firstValue(request.headers.get("x-forwarded-proto")) ?? url.protocol.replace(/:$/, "");
  return `${proto}://${host}`;
}

const hostPattern = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The gateway's base URL as pages print it in examples (docs, snippets, the dashboard): APP_ORIGIN
 * when configured, else the Host the request was addressed to. Never X-Forwarded-Host: a page a
 * shared cache may keep must not print whatever host a client claimed. A Host that is not a plain
 * host[:port] falls back to localhost:3000.
 */
export function publicApiBaseUrl(requestHeaders: Headers): string {
  const configured = env().APP_ORIGIN;
  if (configured) return `${configured.replace(/\/+$/, "")}/api/v1`;
  const given = requestHeaders.get("host") ?? "";
  const host = hostPattern.test(given) && given.length <= 260 ? given : "localhost:3000";
  const local = /^(localhost|127\.|\[::1\])/.test(host);
  return `${local ? "http" : "https"}://${host}/api/v1`;
}

function firstValue(header: string | null): string | undefined {
  const value = header?.split(",")[0]?.trim();
  return value ? value : undefined;
}

/** Safe methods never change state, so they need no Origin check. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** Throws `forbidden_origin` (403) unless the request's Origin header is this site's origin. */
export function assertSameOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  const expected = siteOrigin(request);
  if (origin === null) throw new WebAuthError("forbidden_origin", "This request has no Origin header: send it from the portal's own pages.");
  if (origin !== expected) throw new WebAuthError("forbidden_origin", `Requests from ${origin.slice(0, 200)} are not accepted: only ${expected} may call this route.`);
}
