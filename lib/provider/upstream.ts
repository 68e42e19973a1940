// Calls to the provider's upstream model. `openai` (an OpenAI-compatible HTTP API, as the Go node's
// apiType): the client's JSON with `model` replaced by the configured modelName, POSTed to apiUrl.
// `claudeai`: Anthropic's Messages API, translated (./anthropic.ts).
import { EventSourceParserStream } from "eventsource-parser/stream";
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

export interface UpstreamCallOptions {
  signal: AbortSignal;
}

async function readErrorBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text || response.statusText, type: "upstream_error" } };
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
  const response = await fetch(upstreamUrl(model, kind), {
    method: "POST",
    headers,
    body: JSON.stringify({ ...payload, model: model.modelName }),
    signal,
  });
  if (response.status !== 200) throw new UpstreamHttpError(response.status, await readErrorBody(response));

  const contentType = response.headers.get("content-type")?.split(";")[0].trim();
  if (contentType !== "text/event-stream" || !response.body) {
    yield { kind: "response", data: await response.json() };
    return;
  }
  const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  try {
    for (;;) {
      const { done, value: event } = await events.read();
      if (done) break;
      // Only the exact marker ends the stream: a reply may well mention "[DONE]" in its text.
      if (event.data === "[DONE]") {
        yield { kind: "done" };
        return;
      }
      const data: unknown = JSON.parse(event.data);
      if (data && typeof data === "object" && !Array.isArray(data)) yield { kind: "chunk", data: data as Record<string, unknown> };
    }
  } finally {
    // Stops the upstream body when the consumer leaves early (or after [DONE]).
    await events.cancel().catch(() => {});
  }
  // The stream ended without [DONE]: the consumer still gets a proper end marker.
  yield { kind: "done" };
}
