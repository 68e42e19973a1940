// Runs before routing. A model id in /api/v1/models/{id} that is not valid percent-encoding (e.g.
// %E0%A4%A) makes Next.js fail while decoding route params, before any route handler, with a
// plain-text 500: it gets the API's clean 400 here instead. Only on the GET-only models routes:
// a proxy makes Next.js buffer request bodies, which would defeat the body-read deadline of the
// inference routes.
import { NextResponse, type NextRequest } from "next/server";
import { ApiError } from "@/lib/http";

function isDecodable(pathname: string): boolean {
  try {
    for (const segment of pathname.split("/")) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

export function proxy(request: NextRequest): NextResponse | undefined {
  if (isDecodable(new URL(request.url).pathname)) return undefined;
  const requestId = `req_${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
  const error = new ApiError("invalid_request_error", "The request path is not valid percent-encoding.");
  return NextResponse.json(error.toBody(), { status: error.status, headers: { "x-request-id": requestId } });
}

export const config = { matcher: "/api/v1/models/:path*" };
