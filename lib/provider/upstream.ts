// Calls to the provider's upstream model. `openai` (an OpenAI-compatible HTTP API, as the Go node's
// apiType): the client's JSON with `model` replaced by the configured modelName, POSTed to apiUrl.
// `claudeai`: Anthropic's Messages API, translated (./anthropic.ts).
import { STATUS_CODES } from "node:http";
import { createParser, type EventSourceMessage, type ParseError } from "eventsource-parser";
import { request, type Dispatcher } from "undici";
import { callAnthropic } from "./anthropic";
import { upstreamUrl, type ModelConfig, type UpstreamKind } from "./models-config";

/** One thing the upstream said: a streamed chunk, the end of the stream, or a whole response. */
export type UpstreamEvent =
  | { kind: "chunk"; data: Record<string, unknown> }
  | { kind: "done" }
  | { kind: "response"; data: unknown };

/** The upstream answered with an HTTP error: its body goes back to the consumer, encrypted. */
export class UpstreamHttpError extends Error {
  constructor(
    readonly status: number,
    /** The parsed JSON body, or OpenAI's error shape around the raw text. */
    readonly body: unknown,
  ) {
    super(`upstream answered HTTP ${status}`);
    this.name = "UpstreamHttpError";
  }
}

/** Largest whole response, or single streamed event, taken from an upstream. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Of an error body, what is kept for the consumer. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface UpstreamCallOptions {
  signal: AbortSignal;
}

/** An error body as the consumer gets it: the upstream's JSON, or OpenAI's error shape around its text. */
async function readErrorBody(body: Dispatcher.ResponseData["body"], status: number): Promise<unknown> {
  const text = await readTextBounded(body, MAX_ERROR_BODY_BYTES).catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text || STATUS_CODES[status] || `HTTP ${status}`, type: "upstream_error" } };
  }
}

/** A body as text, up to `max` bytes: past it, the rest is not read (the connection is dropped) and the text is cut there, or with `orThrow` it fails. */
async function readTextBounded(body: Dispatcher.ResponseData["body"], max: number, orThrow = false): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk.subarray(0, max - size));
    size += chunk.length;
    if (size > max) {
      body.destroy();
      if (orThrow) throw new Error(`the upstream's response is over ${max} bytes`);
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function* callUpstream(
  model: ModelConfig,
  kind: UpstreamKind,
  payload: Record<string, unknown>,
  { signal }: UpstreamCallOptions,
): AsyncGenerator<UpstreamEvent> {
  if (model.apiType === "claudeai") {
    yield* callAnthropic(model, kind, payload, { signal });
    return;
  }
  const stream = kind === "chat" && payload.stream === true;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (model.apiKey) headers.authorization = `Bearer ${model.apiKey}`;
  if (stream) headers.accept = "text/event-stream";
  // undici's request rather than fetch: no WHATWG Request/Response/streams per call and per chunk
  // (fetch was about a fifth of the provider's CPU under load).
  const { statusCode, headers: responseHeaders, body } = await request(upstreamUrl(model, kind), {
    method: "POST",
    headers,
    body: JSON.stringify({ ...payload, model: model.modelName }),
    signal,
  });
  if (statusCode !== 200) throw new UpstreamHttpError(statusCode, await readErrorBody(body, statusCode));

  const contentTypeHeader = responseHeaders["content-type"];
  const contentType = (Array.isArray(contentTypeHeader) ? contentTypeHeader[0] : contentTypeHeader)?.split(";")[0].trim();
  try {
    if (contentType !== "text/event-stream") {
      yield { kind: "response", data: JSON.parse(await readTextBounded(body, MAX_RESPONSE_BYTES, true)) };
      return;
    }
    const events: EventSourceMessage[] = [];
    let parseError: ParseError | undefined;
    const parser = createParser({ maxBufferSize: MAX_RESPONSE_BYTES, onEvent: (event) => events.push(event), onError: (error) => (parseError ??= error) });
    const decoder = new TextDecoder();
    for await (const chunk of body as AsyncIterable<Buffer>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (parseError?.type === "max-buffer-size-exceeded") throw new Error(`the upstream sent an event over ${MAX_RESPONSE_BYTES} bytes`);
      for (const event of events.splice(0)) {
        // Only the exact marker ends the stream: a reply may well mention "[DONE]" in its text.
        if (event.data === "[DONE]") {
          yield { kind: "done" };
          return;
        }
        const data: unknown = JSON.parse(event.data);
        if (data && typeof data === "object" && !Array.isArray(data)) yield { kind: "chunk", data: data as Record<string, unknown> };
      }
    }
  } finally {
    // Stops the upstream body when the consumer leaves early (or after [DONE]).
    if (!body.destroyed) body.destroy();
  }
  // The stream ended without [DONE]: the consumer still gets a proper end marker.
  yield { kind: "done" };
}
