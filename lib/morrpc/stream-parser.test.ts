import { describe, expect, it } from "vitest";
import { MorRpcError } from "./errors";
import { JsonObjectStream } from "./stream-parser";

const enc = (s: string) => new TextEncoder().encode(s);

/** Feeds `bytes` to a fresh parser cut at the given offsets and collects every message. */
function feed(bytes: Uint8Array, cuts: number[]): string[] {
  const parser = new JsonObjectStream();
  const out: string[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...parser.push(bytes.subarray(prev, cut)));
    prev = cut;
  }
  expect(parser.hasPartialObject).toBe(false);
  return out;
}

const tricky = [
  '{"id":"1","result":{"message":"has } and { and \\" and \\\\","n":[{"a":1},{}]}}',
  '{"id":"2","result":{"s":"\\\\\\"}{\\\\"}}',
  '{"id":"3","result":{"text":"héllo € 😀 — 你好"}}',
  '{"id":"4","result":null,"error":{"message":"x","code":400,"data":{"timestamp":1,"signature":"0x00"}}}',
];

describe("JsonObjectStream", () => {
  it("splits back-to-back objects merged into one read", () => {
    expect(feed(enc(tricky.join("")), [])).toEqual(tricky);
  });

  it("skips whitespace and newlines between objects", () => {
    expect(feed(enc(`\n${tricky.join("\n  \r\n\t")}\n`), [])).toEqual(tricky);
  });

  it("reassembles objects split at every possible byte offset, including inside UTF-8 characters", () => {
    const bytes = enc(tricky.join(""));
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(feed(bytes, [cut])).toEqual(tricky);
    }
  });

  it("handles one byte per read", () => {
    const bytes = enc(tricky.join(""));
    expect(feed(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))).toEqual(tricky);
  });

  it("every output parses as the original JSON", () => {
    for (const text of feed(enc(tricky.join("")), [7, 50, 51, 52, 120])) {
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it("reports a partial object at EOF", () => {
    const parser = new JsonObjectStream();
    expect(parser.push(enc('{"id":"1","result":{"a":"}'))).toEqual([]);
    expect(parser.hasPartialObject).toBe(true);
    expect(parser.push(enc('"}}'))).toEqual(['{"id":"1","result":{"a":"}"}}']);
    expect(parser.hasPartialObject).toBe(false);
  });

  it("copies partial data so callers may reuse their read buffer", () => {
    const parser = new JsonObjectStream();
    const buf = enc('{"a":"xy');
    parser.push(buf);
    buf.fill(0x20);
    expect(parser.push(enc('z"}'))).toEqual(['{"a":"xyz"}']);
  });

  it("rejects bytes that cannot start an object", () => {
    const parser = new JsonObjectStream();
    expect(() => parser.push(enc('{"a":1}[1]'))).toThrowError(MorRpcError);
    expect(() => parser.push(enc("{}"))).toThrowError(/already failed/);
  });

  it("caps the size of one object", () => {
    const parser = new JsonObjectStream({ maxObjectBytes: 16 });
    expect(parser.push(enc('{"a":"0123456"}'))).toHaveLength(1);
    parser.push(enc('{"a":"0123'));
    expect(() => parser.push(enc('456789"}'))).toThrowError(/exceeds 16 bytes/);
  });

  it("decodes invalid UTF-8 to U+FFFD like Go", () => {
    const parser = new JsonObjectStream();
    const bytes = new Uint8Array([...enc('{"a":"'), 0xff, ...enc('"}')]);
    expect(parser.push(bytes)).toEqual(['{"a":"\uFFFD"}']);
  });

  it("with maxObjects, stops at the end of the first object and never looks at what follows", () => {
    const parser = new JsonObjectStream();
    expect(parser.push(enc('{"a":"}}"} trailing garbage ]]'), 1)).toEqual(['{"a":"}}"}']);
    const split = new JsonObjectStream();
    expect(split.push(enc('{"a":"}}'), 1)).toEqual([]);
    expect(split.push(enc('}"}{"b":1}'), 1)).toEqual(['{"a":"}}}"}']);
  });

  it("holds an unfinished object in one buffer: bufferedBytes is its size, and it is released when the object completes", () => {
    const parser = new JsonObjectStream();
    parser.push(enc('{"a":"'));
    for (let i = 0; i < 1_000; i++) parser.push(enc("}}}}"));
    expect(parser.bufferedBytes).toBe(6 + 4_000);
    expect(parser.push(enc('"}'))).toHaveLength(1);
    expect(parser.bufferedBytes).toBe(0);
  });

  it("caps an object that arrives whole in one read", () => {
    const parser = new JsonObjectStream({ maxObjectBytes: 16 });
    expect(() => parser.push(enc('{"a":"0123456789"}'))).toThrowError(/exceeds 16 bytes/);
  });
});
