// One playground turn: saves the conversation as sent, runs the chat completion in-process on the
// user's playground key (the gateway's /api/v1 path: rate limits, usage record, errors), and
// streams the answer to the browser in the AI SDK's UI message stream protocol (what useChat
// reads): text deltas as they come, then a message-metadata part with the provider, TTFT, tokens
// per second and tokens in/out. The answer is saved when it ends, also when stopped or cut off.
import "server-only";
import { createUIMessageStream, createUIMessageStreamResponse, type UIMessageStreamWriter } from "ai";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { playgroundKeyId } from "@/lib/auth/api-keys";
import type { WebUser } from "@/lib/auth/web-session";
import type { Db } from "@/lib/db";
import { chatCompletionForKey } from "@/lib/gateway";
import { describeError } from "@/lib/redact";
import { appendAnswer, saveConversation, type AnswerMetadata, type ChatRequest } from "./conversations";
import { playgroundLimits } from "./limits";

/** The OpenAI request body of a playground turn. */
export function gatewayRequestBody(chat: ChatRequest): Record<string, unknown> {
  const messages = [
    ...(chat.system.trim() ? [{ role: "system", content: chat.system }] : []),
    ...chat.messages.map((m) => ({ role: m.role, content: m.text })),
  ];
  return {
    model: chat.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(chat.temperature != null ? { temperature: chat.temperature } : {}),
    ...(chat.maxTokens != null ? { max_tokens: chat.maxTokens } : {}),
    ...(chat.topP != null ? { top_p: chat.topP } : {}),
  };
}

type ChunkJson = {
  error?: { message?: unknown };
  choices?: { delta?: { content?: unknown } }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
};

const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined);

/** Runs one turn for `user` (who must own the conversation: else 404 before anything runs). */
export async function playgroundChat(db: Db, user: WebUser, chat: ChatRequest, signal: AbortSignal): Promise<Response> {
  const { model, system, temperature, maxTokens, topP } = chat;
  await saveConversation(db, user.id, chat.conversationId, { model, system, temperature, maxTokens, topP }, chat.messages);
  const keyId = await playgroundKeyId(db, user.id);
  const started = Date.now();
  const served = await chatCompletionForKey(keyId, gatewayRequestBody(chat), signal);
  const metadata: AnswerMetadata = { model, requestId: served.requestId, ...(served.providerAddress ? { provider: served.providerAddress } : {}) };

  const stream = createUIMessageStream({
    execute: async ({ writer }) => {
      writer.write({ type: "start", messageMetadata: metadata });
      if (!served.response.ok || !served.response.body) {
        writer.write({ type: "error", errorText: await gatewayMessage(served.response) });
        return;
      }
      const answer = await relayAnswer(served.response.body, writer, metadata, started, signal);
      if (answer.length > 0) {
        try {
          await appendAnswer(db, user.id, chat.conversationId, chat.messages.length, answer, metadata);
        } catch (error) {
          console.error(`playground: saving the answer of ${served.requestId} failed: ${describeError(error)}`);
        }
      }
    },
    onError: (error) => {
      console.error(`playground: request ${served.requestId} failed: ${describeError(error, { stack: true })}`);
      return `The playground failed to stream this answer (request id ${served.requestId}).`;
    },
  });
  return createUIMessageStreamResponse({ stream, headers: { "x-request-id": served.requestId, "cache-control": "no-store" } });
}

/** The message of an OpenAI-shaped error response. */
async function gatewayMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") return body.error.message;
  } catch {
    // not JSON: fall through to the status
  }
  return `The gateway answered HTTP ${response.status}.`;
}

/**
 * Copies the gateway's SSE answer into the UI message stream and fills `metadata`; returns the
 * answer's text. Ends early when `signal` aborts (the browser stopped it) or the answer reaches
 * the playground's message size: cancelling the gateway's body stops the provider's work.
 */
async function relayAnswer(
  body: NonNullable<Response["body"]>,
  writer: UIMessageStreamWriter,
  metadata: AnswerMetadata,
  started: number,
  signal: AbortSignal,
): Promise<string> {
  const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  const stop = () => void events.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  const textId = "answer";
  let text = "";
  let firstAt: number | undefined;
  try {
    for (;;) {
      const next = await events.read().catch((error: unknown) => {
        if (signal.aborted) return { done: true as const, value: undefined };
        throw error;
      });
      if (next.done || next.value.data === "[DONE]") break;
      const chunk = JSON.parse(next.value.data) as ChunkJson;
      if (chunk.error) {
        metadata.error = typeof chunk.error.message === "string" ? chunk.error.message.slice(0, 1000) : "The provider failed mid-answer.";
        writer.write({ type: "error", errorText: metadata.error });
        break;
      }
      if (chunk.usage) {
        metadata.promptTokens = count(chunk.usage.prompt_tokens);
        metadata.completionTokens = count(chunk.usage.completion_tokens);
      }
      const delta = chunk.choices?.[0]?.delta?.content;
      if (typeof delta !== "string" || delta === "") continue;
      if (firstAt === undefined) {
        firstAt = Date.now();
        metadata.ttftMs = firstAt - started;
        writer.write({ type: "text-start", id: textId });
      }
      const room = playgroundLimits.messageChars - text.length;
      const piece = delta.slice(0, room);
      text += piece;
      writer.write({ type: "text-delta", id: textId, delta: piece });
      if (piece.length < delta.length) {
        metadata.truncated = true;
        stop();
        break;
      }
    }
  } finally {
    signal.removeEventListener("abort", stop);
    if (signal.aborted) metadata.stopped = true;
    const end = Date.now();
    metadata.durationMs = end - started;
    if (firstAt !== undefined && metadata.completionTokens) metadata.tokensPerSecond = metadata.completionTokens / (Math.max(1, end - firstAt) / 1000);
    // After a stop the browser is gone and its stream may be closed: the answer is still saved.
    try {
      if (firstAt !== undefined) writer.write({ type: "text-end", id: textId });
      writer.write({ type: "message-metadata", messageMetadata: { ...metadata } });
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }
  return text;
}
