// The `claudeai` apiType: Anthropic's Messages API behind the OpenAI chat shape MOR-RPC carries.
// An OpenAI chat request becomes a Messages request (system messages → `system`, max_tokens required
// there), and Anthropic's answer (whole, or its SSE events) becomes OpenAI chat.completion(.chunk)
// objects. Like the Go node's adapter it serves chat only, text content only.
import type { ModelConfig } from "./models-config";
import { postUpstream, readErrorBody, readJsonResponse, serverSentEvents, UpstreamHttpError, type UpstreamEvent } from "./upstream";

export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires max_tokens; used when the client gives none. */
const DEFAULT_MAX_TOKENS = 4096;

type OpenAiMessage = { role?: unknown; content?: unknown };
type AnthropicMessage = { role: "user" | "assistant"; content: string };

/** A request this adapter cannot translate: answered as the upstream's 400, never a crash. */
function badRequest(message: string): UpstreamHttpError {
  return new UpstreamHttpError(400, { error: { message: `claudeai adapter: ${message}`, type: "invalid_request_error" } });
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        const p = part as { type?: unknown; text?: unknown };
        if (p && p.type === "text" && typeof p.text === "string") return p.text;
        throw badRequest("only text content is supported");
      })
      .join("");
  }
  if (content === null || content === undefined) return "";
  throw badRequest("message content must be a string or a list of text parts");
}

/** The Messages API request for an OpenAI chat request. */
export function toAnthropicRequest(model: ModelConfig, payload: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(payload.messages)) throw badRequest("messages must be a list");
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  for (const raw of payload.messages as OpenAiMessage[]) {
    const role = raw?.role;
    const text = textOf(raw?.content);
    if (role === "system" || role === "developer") system.push(text);
    else if (role === "user" || role === "assistant") {
      // Anthropic wants alternating turns: consecutive messages of one role are joined.
      const last = messages.at(-1);
      if (last && last.role === role) last.content += `\n\n${text}`;
      else messages.push({ role, content: text });
    } else throw badRequest(`messages with role ${JSON.stringify(role)} are not supported`);
  }
  if (messages.length === 0) throw badRequest("at least one user message is needed");
  const maxTokens = payload.max_completion_tokens ?? payload.max_tokens ?? DEFAULT_MAX_TOKENS;
  const stop = typeof payload.stop === "string" ? [payload.stop] : Array.isArray(payload.stop) ? payload.stop : undefined;
  return {
    model: model.modelName,
    messages,
    max_tokens: maxTokens,
    ...(system.length ? { system: system.join("\n\n") } : {}),
    ...(typeof payload.temperature === "number" ? { temperature: Math.min(payload.temperature, 1) } : {}),
    ...(typeof payload.top_p === "number" ? { top_p: payload.top_p } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    ...(payload.stream === true ? { stream: true } : {}),
  };
}

const finishReasons: Record<string, string> = { end_turn: "stop", stop_sequence: "stop", max_tokens: "length", tool_use: "tool_calls" };
const finishReason = (stop: unknown) => (typeof stop === "string" ? (finishReasons[stop] ?? "stop") : null);

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
}
const openAiUsage = (usage: AnthropicUsage) => ({
  prompt_tokens: usage.input_tokens ?? 0,
  completion_tokens: usage.output_tokens ?? 0,
  total_tokens: (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0),
});

/** A whole Messages API response as an OpenAI chat.completion. */
export function fromAnthropicResponse(data: unknown, model: ModelConfig): Record<string, unknown> {
  const message = (data ?? {}) as { id?: unknown; content?: unknown; stop_reason?: unknown; usage?: AnthropicUsage };
  const text = Array.isArray(message.content)
    ? message.content.map((block: { type?: unknown; text?: unknown }) => (block?.type === "text" && typeof block.text === "string" ? block.text : "")).join("")
    : "";
  return {
    id: typeof message.id === "string" ? message.id : "msg",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: model.modelName,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finishReason(message.stop_reason) ?? "stop" }],
    ...(message.usage ? { usage: openAiUsage(message.usage) } : {}),
  };
}

function anthropicError(status: number, body: unknown): UpstreamHttpError {
  const error = (body as { error?: { type?: unknown; message?: unknown } })?.error;
  const message = typeof error?.message === "string" ? error.message : `upstream answered HTTP ${status}`;
  return new UpstreamHttpError(status, { error: { message, type: typeof error?.type === "string" ? error.type : "upstream_error" } });
}

export async function* callAnthropic(
  model: ModelConfig,
  kind: "chat" | "embeddings",
  payload: Record<string, unknown>,
  { signal }: { signal: AbortSignal },
): AsyncGenerator<UpstreamEvent> {
  if (kind !== "chat") throw badRequest("claudeai models serve chat completions only");
  const request = toAnthropicRequest(model, payload);
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION };
  if (model.apiKey) headers["x-api-key"] = model.apiKey;
  const { status, body } = await postUpstream(model.apiUrl, headers, request, signal);
  if (status !== 200) throw anthropicError(status, await readErrorBody(body, status));
  if (request.stream !== true) {
    yield { kind: "response", data: fromAnthropicResponse(await readJsonResponse(body), model) };
    return;
  }

  const includeUsage = (payload.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const created = Math.floor(Date.now() / 1000);
  let id = "msg";
  const usage: AnthropicUsage = {};
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
    kind: "chunk" as const,
    data: { id, object: "chat.completion.chunk", created, model: model.modelName, choices: [{ index: 0, delta, finish_reason: finish }], ...extra },
  });
  for await (const event of serverSentEvents(body)) {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      throw new UpstreamHttpError(502, { error: { message: "the upstream sent an event that is not JSON", type: "upstream_error" } });
    }
    switch (data.type) {
      case "message_start": {
        const message = data.message as { id?: unknown; usage?: AnthropicUsage } | undefined;
        if (typeof message?.id === "string") id = message.id;
        Object.assign(usage, message?.usage ?? {});
        yield chunk({ role: "assistant", content: "" }, null);
        break;
      }
      case "content_block_delta": {
        const delta = data.delta as { type?: unknown; text?: unknown } | undefined;
        if (delta?.type === "text_delta" && typeof delta.text === "string") yield chunk({ content: delta.text }, null);
        break;
      }
      case "message_delta": {
        Object.assign(usage, (data.usage as AnthropicUsage | undefined) ?? {});
        const stop = finishReason((data.delta as { stop_reason?: unknown } | undefined)?.stop_reason);
        if (stop) yield chunk({}, stop);
        break;
      }
      case "message_stop":
        if (includeUsage) yield { kind: "chunk", data: { id, object: "chat.completion.chunk", created, model: model.modelName, choices: [], usage: openAiUsage(usage) } };
        yield { kind: "done" };
        return;
      case "error":
        throw anthropicError(502, data);
      default:
        // ping, content_block_start / _stop: nothing to forward
        break;
    }
  }
  // Cut before message_stop: the consumer sees an error, never a silently short answer.
  throw new UpstreamHttpError(502, { error: { message: "the upstream stream ended before message_stop", type: "upstream_error" } });
}
