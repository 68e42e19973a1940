// What the demo model "says": text and vectors derived deterministically from the request, so
// the local marketplace and tests get stable answers. It stands in for a real LLM; it is not one.
import { createHash } from "node:crypto";

/** The model name the demo serves unless told otherwise. */
export const DEMO_MODEL_NAME = "morpheus-demo-chat";

/**
 * The demo's tokens are word-ish, not a real tokenizer's: each run of non-whitespace together
 * with the whitespace before it. Joined back together they give the text (minus trailing space).
 */
export function demoTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export function countDemoTokens(text: string): number {
  return demoTokens(text).length;
}

/** The text of an OpenAI message `content`: a string, or the text parts of a parts array. */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      return p?.type === "text" && typeof p.text === "string" ? p.text : "";
    })
    .filter((text) => text !== "")
    .join("\n");
}

export interface DemoMessage {
  role: string;
  content?: unknown;
}

/** Usage's prompt_tokens: the demo tokens of every message's text. */
export function countPromptTokens(messages: readonly DemoMessage[]): number {
  return messages.reduce((sum, m) => sum + countDemoTokens(messageText(m.content)), 0);
}

const CLOSINGS = [
  "the same messages always get this same answer.",
  "a real model would say something more useful here.",
  "replies are built from your words, not generated.",
  "this sentence is chosen by a hash of the conversation.",
];

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

// Deterministic switches the playground and its tests use, read from the last user message as
// whole words (so "unicode" does not ask for code): "code" makes the reply Markdown with a fenced
// code block; "slowly" makes it long and streamed with a pause before every chunk (see server.ts).
const wholeWord = (word: string) => new RegExp(`(^|[^\\p{L}\\p{N}_])${word}([^\\p{L}\\p{N}_]|$)`, "iu");
const asksForCode = wholeWord("code");
const asksForSlowly = wholeWord("slowly");

function lastUserText(messages: readonly DemoMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  return messageText(lastUser?.content).replace(/\s+/g, " ").trim();
}

/** True when the last user message says "slowly": the server then paces its stream (the playground's stop tests). */
export function wantsSlowReply(messages: readonly DemoMessage[]): boolean {
  return asksForSlowly.test(lastUserText(messages));
}

/** The full reply (before any max_tokens cut), as plain text or, in JSON mode, a JSON object. */
export function demoReply(messages: readonly DemoMessage[], options: { json?: boolean } = {}): string {
  const said = lastUserText(messages);
  const snippet = said.length > 48 ? `${said.slice(0, 47)}…` : said;
  const words = countDemoTokens(said);
  const closing = CLOSINGS[sha256(JSON.stringify(messages)).readUInt8(0) % CLOSINGS.length];
  const reply = `Demo reply to "${snippet}": this deterministic demo model stands in for a real LLM, and ${closing} Your message had ${words} ${words === 1 ? "word" : "words"}.`;
  if (options.json) return JSON.stringify({ demo: true, reply, words });
  if (asksForCode.test(said)) return markdownReply(reply, words);
  if (asksForSlowly.test(said)) return `${reply}\n\n${Array.from({ length: 12 }, (_, i) => `Slow sentence ${i + 1} of 12 from the demo model.`).join(" ")}`;
  return reply;
}

/** The reply as Markdown: a heading, a list, and a fenced TypeScript block. */
function markdownReply(reply: string, words: number): string {
  return [
    "## Demo code",
    "",
    reply,
    "",
    "- **Deterministic**: the same messages get the same answer.",
    "- `wordCount` below counts the words of your message.",
    "",
    "```ts",
    "export function wordCount(text: string): number {",
    "  return text.split(/\\s+/).filter(Boolean).length;",
    "}",
    "",
    `console.log(wordCount("your message")); // ${words} for yours`,
    "```",
  ].join("\n");
}

/**
 * A deterministic unit vector for `text`: SHA-256 blocks of (counter, text), two bytes per
 * dimension mapped to [-1, 1], then normalised. Equal texts give equal vectors.
 */
export function demoEmbedding(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = sha256(`${block}\u0000${text}`);
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) {
      values.push(digest.readUInt16BE(i) / 32767.5 - 1);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

/** OpenAI's `encoding_format: "base64"`: the float32 little-endian bytes of the vector. */
export function embeddingToBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString("base64");
}
