// Calls to the provider's upstream model. `openai` (an OpenAI-compatible HTTP API, as the Go node's
// apiType): the client's JSON with `model` replaced by the configured modelName, POSTed to apiUrl.
// `claudeai`: Anthropic's Messages API, translated (./anthropic.ts).
import { STATUS_CODES } from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Agent, interceptors, request, type Dispatcher } from "undici";
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

type Body = Dispatcher.ResponseData["body"];

/**
 * Our own connection pool: the global dispatcher may be Node's bundled undici (once anything in the
 * process has called fetch), whose handler interface this undici's interceptors do not speak
 * ("invalid onError method"). Redirects are followed as fetch (and the Go node's http.Client)
 * follows them, at most 5; credentials are dropped on a cross-origin one.
 */
const upstreamDispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));

/**
 * POSTs JSON to an upstream with undici's request rather than fetch: no WHATWG
 * Request/Response/streams per call and per chunk (fetch was about a fifth of the provider's CPU
 * under load). The caller reads or destroys the body.
 */
export async function postUpstream(url: string, headers: Record<string, string>, payload: unknown, signal: AbortSignal): Promise<{ status: number; contentType?: string; body: Body }> {
  const response = await request(url, { method: "POST", headers, body: JSON.stringify(payload), signal, dispatcher: upstreamDispatcher });
  const header = response.headers["content-type"];
  const contentType = (Array.isArray(header) ? header[0] : header)?.split(";")[0].trim().toLowerCase();
  return { status: response.statusCode, contentType, body: response.body };
}

/** An error body, kept to 64 KiB: its JSON, or OpenAI's error shape around its text (the status text when it is empty or unreadable). */
export async function readErrorBody(body: Body, status: number): Promise<unknown> {
  const text = (await readTextBounded(body, MAX_ERROR_BODY_BYTES).catch(() => "")) || STATUS_CODES[status] || `HTTP ${status}`;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text, type: "upstream_error" } };
  }
}

/** A whole JSON response, at most 16 MiB. */
export async function readJsonResponse(body: Body): Promise<unknown> {
  return JSON.parse(await readTextBounded(body, MAX_RESPONSE_BYTES, true));
}

/** A body as text, up to `max` bytes: past it, the rest is not read (the connection is dropped) and the text is cut there, or with `orThrow` it fails. */
async function readTextBounded(body: Body, max: number, orThrow = false): Promise<string> {
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

/** The server-sent events of a body, each at most 16 Mi characters; the body is destroyed when the caller stops early. */
export async function* serverSentEvents(body: Body): AsyncGenerator<EventSourceMessage> {
  const events: EventSourceMessage[] = [];
  let tooBig = false;
  const parser = createParser({
    maxBufferSize: MAX_RESPONSE_BYTES,
    onEvent: (event) => events.push(event),
    onError: (error) => (tooBig ||= error.type === "max-buffer-size-exceeded"),
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (tooBig) throw new Error(`the upstream sent an event over ${MAX_RESPONSE_BYTES} characters`);
      // Taken as a batch: an event yielded is no longer held here while the caller works on it.
      for (const event of events.splice(0)) yield event;
    }
  } finally {
    if (!body.destroyed) body.destroy();
  }
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
  const { status, contentType, body } = await postUpstream(upstreamUrl(model, kind), headers, { ...payload, model: model.modelName }, signal);
  if (status !== 200) throw new UpstreamHttpError(status, await readErrorBody(body, status));
  if (contentType !== "text/event-stream") {
    yield { kind: "response", data: await readJsonResponse(body) };
    return;
  }
  for await (const event of serverSentEvents(body)) {
    // Only the exact marker ends the stream: a reply may well mention "[DONE]" in its text.
    if (event.data === "[DONE]") {
      yield { kind: "done" };
      return;
    }
    const data: unknown = JSON.parse(event.data);
    if (data && typeof data === "object" && !Array.isArray(data)) yield { kind: "chunk", data: data as Record<string, unknown> };
  }
  // The stream ended without [DONE]: the consumer still gets a proper end marker.
  yield { kind: "done" };
}
