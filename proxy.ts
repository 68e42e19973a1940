// Runs before routing, for two things:
// - Pages: a strict Content-Security-Policy with a fresh nonce per request (the Next.js CSP guide).
//   Next.js reads the nonce from the request's policy header and puts it on its scripts; the
//   layouts read it from x-nonce. Not for /api (a proxy makes Next.js buffer request bodies, which
//   would defeat the body-read deadline of the inference routes), static files or prefetches.
// - /api/v1/models/{id}: an id that is not valid percent-encoding (e.g. %E0%A4%A) makes Next.js
//   fail while decoding route params, before any route handler, with a plain-text 500: it gets
//   the API's clean 400 here instead. Only on these GET-only routes, for the reason above.
import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/http";
import { NONCE_HEADER, newNonce, pageContentSecurityPolicy } from "@/lib/http/content-security-policy";

function isDecodable(pathname: string): boolean {
  try {
    for (const segment of pathname.split("/")) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

function refuseUndecodablePath(request: NextRequest): NextResponse | undefined {
  if (isDecodable(new URL(request.url).pathname)) return undefined;
  const requestId = `req_${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
  const error = new ApiError("invalid_request_error", "The request path is not valid percent-encoding.");
  return NextResponse.json(error.toBody(), { status: error.status, headers: { "x-request-id": requestId } });
}

function withPagePolicy(request: NextRequest): NextResponse {
  const config = env();
  const nonce = newNonce();
  const policy = pageContentSecurityPolicy({
    nonce,
    dev: config.NODE_ENV === "development",
    walletConnect: config.NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID !== undefined,
    https: config.APP_ORIGIN?.startsWith("https:") ?? false,
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set(NONCE_HEADER, nonce);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export function proxy(request: NextRequest): NextResponse | undefined {
  if (new URL(request.url).pathname.startsWith("/api/")) return refuseUndecodablePath(request);
  return withPagePolicy(request);
}

export const config = {
  matcher: [
    "/api/v1/models/:path*",
    {
      // Every path but /api, Next.js's own files and the site's icon: the pages.
      source: "/((?!api/|api$|_next/|favicon\\.ico|icon\\.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
