// The body of a JSON API request, read with a size limit: from a fetch Request (Next.js route
// handlers) or a Node IncomingMessage (node:http servers such as the demo model).
import type { IncomingMessage } from "node:http";
import { ApiError } from "./api-error";

/**
 * The request body as a JSON object, or ApiError 413 / 400. Reads at most `maxBytes`; a fetch
 * Request's body not complete within `timeoutMs` is ApiError 408 (a slow sender holds no handler long).
 */
export async function readJsonBody(request: Request | IncomingMessage, maxBytes: number, { timeoutMs }: { timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
  const tooLarge = () => new ApiError("request_too_large", `Request body too large: the limit is ${maxBytes} bytes.`, { status: 413 });
  const isFetchRequest = request instanceof Request;
  const declared = Number(isFetchRequest ? request.headers.get("content-length") : request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const parts: Uint8Array[] = [];
  let size = 0;
  if (isFetchRequest) {
    if (request.body) {
      const reader = request.body.getReader();
      let timedOut = false;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              void reader.cancel().catch(() => {}); // the pending read then ends
            }, timeoutMs);
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch {
          clearTimeout(timer);
          throw new ApiError("invalid_request_error", "The request body could not be read.");
        }
        if (timedOut) throw new ApiError("request_timeout", `The request body was not received within ${Math.ceil((timeoutMs ?? 0) / 1000)} s.`);
        const { done, value } = chunk;
        if (done) {
          clearTimeout(timer);
          break;
        }
        size += value.byteLength;
        if (size > maxBytes) {
          clearTimeout(timer);
          await reader.cancel().catch(() => {});
          throw tooLarge();
        }
        parts.push(value);
      }
    }
  } else {
    // Not destroyed when we stop early: the server still answers 413 on the same socket.
    for await (const chunk of request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      parts.push(chunk);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(parts).toString("utf8"));
  } catch {
    throw new ApiError("invalid_request_error", "We could not parse the JSON body of your request. It must be a JSON object.");
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError("invalid_request_error", "The request body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}
