// Token counts the way the Go proxy-router computes `usage_from_provider`: tiktoken cl100k over the
// completion text, and for the prompt Σ (1 + tokens(content) + tokens(name) + 3) per message.
//
// The text is untrusted, so counting is bounded and never throws: special-token text such as
// `<|endoftext|>` counts as ordinary text (js-tiktoken throws on it by default), a run of more
// than LONG_RUN non-space (or space) characters is estimated instead of byte-pair merged (the
// merge is quadratic in a piece's length: 8,000 letters took seconds), and past MAX_EXACT_CHARS
// the count is extrapolated from the exact part. Counts of ordinary text stay exact.
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";

/** Longer runs are estimated: no real word is this long, and a merge of this size costs well under a millisecond. */
const LONG_RUN = 64;
const LONG_RUN_PATTERN = new RegExp(`\\S{${LONG_RUN + 1},}|\\s{${LONG_RUN + 1},}`, "gu");
/** Exact counting of ~64k characters takes ~30 ms here; what comes after is extrapolated. */
const MAX_EXACT_CHARS = 64 * 1024;
/** cl100k averages about 4 bytes of English per token; used only for estimated runs. */
const BYTES_PER_ESTIMATED_TOKEN = 4;

let encoder: Tiktoken | undefined;
const utf8 = new TextEncoder();

function estimate(text: string): number {
  return Math.ceil(utf8.encode(text).length / BYTES_PER_ESTIMATED_TOKEN);
}

/** Exact cl100k count of text without long runs; special tokens are text. */
function encodeCount(text: string): number {
  if (!text) return 0;
  encoder ??= new Tiktoken(cl100k);
  return encoder.encode(text, [], []).length;
}

/** Exact for ordinary text, estimated for long runs; at most ~MAX_EXACT_CHARS characters reach the encoder. */
function boundedCount(text: string): number {
  let tokens = 0;
  let from = 0;
  for (const run of text.matchAll(LONG_RUN_PATTERN)) {
    tokens += encodeCount(text.slice(from, run.index)) + estimate(run[0]);
    from = run.index + run[0].length;
  }
  return tokens + encodeCount(text.slice(from));
}

export function countTokens(text: string): number {
  if (!text) return 0;
  try {
    if (text.length <= MAX_EXACT_CHARS) return boundedCount(text);
    // Cut at a space where one is near, so the exact part ends on a piece boundary.
    const space = text.lastIndexOf(" ", MAX_EXACT_CHARS);
    const cut = space > MAX_EXACT_CHARS / 2 ? space : MAX_EXACT_CHARS;
    const exact = boundedCount(text.slice(0, cut));
    return exact + Math.ceil((exact * (text.length - cut)) / cut);
  } catch {
    // Counting only feeds usage figures: it must never fail a request.
    return estimate(text);
  }
}

/** The text of a message's content: a string, or the `text` of its text parts. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === "object" && typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : ""))
      .join("");
  }
  return "";
}

export function countPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let total = 0;
  for (const message of messages) {
    if (!message || typeof message !== "object") continue;
    const { content, name } = message as { content?: unknown; name?: unknown };
    total += 1 + countTokens(contentText(content)) + (typeof name === "string" ? countTokens(name) : 0) + 3;
  }
  return total;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(promptTokens: number, completionTokens: number): TokenUsage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}
