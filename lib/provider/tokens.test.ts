import { Tiktoken } from "js-tiktoken/lite";
import { afterEach, describe, expect, it, vi } from "vitest";
import { countPromptTokens, countTokens } from "./tokens";

afterEach(() => vi.restoreAllMocks());

/** Watches the encoder: what it was given, and refuses the unbounded work the old counter did. */
function watchEncoder() {
  const inputs: string[] = [];
  const original = Tiktoken.prototype.encode;
  vi.spyOn(Tiktoken.prototype, "encode").mockImplementation(function (this: Tiktoken, ...args: Parameters<Tiktoken["encode"]>) {
    const text = args[0];
    inputs.push(text);
    // A piece this long is minutes of quadratic byte-pair merging: fail fast instead of hanging.
    if (/\S{1000,}|\s{1000,}/.test(text)) throw new Error(`unbounded piece of ${text.length} characters handed to the encoder`);
    return original.apply(this, args);
  });
  return inputs;
}

describe("countTokens on untrusted text", () => {
  it("counts ordinary text exactly (cl100k)", () => {
    expect(countTokens("hello world")).toBe(2);
    expect(countPromptTokens([{ role: "user", content: "hello world", name: "bob" }])).toBe(1 + 2 + 1 + 3);
  });

  it("counts special-token text such as <|endoftext|> as ordinary text instead of throwing", () => {
    // cl100k: "<", "|", "endo", "ft", "ext", "|", ">" (7) — as text, not the special token (1).
    expect(countTokens("<|endoftext|>")).toBe(7);
    expect(countTokens("a <|endoftext|> b <|fim_prefix|>")).toBeGreaterThan(4);
    expect(countPromptTokens([{ role: "user", content: "<|endoftext|>" }])).toBe(1 + 7 + 3);
  });

  it("200,000 letters without a space: a bounded number of encoder calls, none with a long piece", () => {
    const inputs = watchEncoder();
    const count = countTokens("a".repeat(200_000));
    expect(count).toBeGreaterThan(0);
    expect(inputs.length).toBeLessThanOrEqual(2);
    expect(inputs.reduce((n, text) => n + text.length, 0)).toBeLessThanOrEqual(64 * 1024);
  });

  it("long runs mixed with words and megabytes of text: work stays bounded, words still counted", () => {
    const inputs = watchEncoder();
    const mixed = `${"x".repeat(5_000)} hello world ${" ".repeat(5_000)}end`;
    expect(countTokens(mixed)).toBeGreaterThan(3);
    const huge = "The quick brown fox jumps over the lazy dog. ".repeat(100_000); // 4.5 MB
    expect(countTokens(huge)).toBeGreaterThan(900_000);
    expect(inputs.reduce((n, text) => n + text.length, 0)).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it("never throws, whatever the encoder does", () => {
    vi.spyOn(Tiktoken.prototype, "encode").mockImplementation(() => {
      throw new Error("encoder failure");
    });
    expect(countTokens("twelve bytes")).toBe(3);
  });
});
