// The one JSON body reader, on both kinds of request it serves: a fetch Request (the gateway's
// route handlers) and a Node IncomingMessage (the demo model's http server).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "./api-error";
import { readJsonBody } from "./json-body";

const LIMIT = 64;

/** What readJsonBody made of `body`: the object, or the ApiError's code, status and message. */
type Outcome = { body: Record<string, unknown> } | { code: string; status: number; message: string };

async function outcome(read: () => Promise<Record<string, unknown>>): Promise<Outcome> {
  try {
    return { body: await read() };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { code: error.code, status: error.status, message: error.message };
  }
}

let server: http.Server;
let url: string;
beforeAll(async () => {
  // Answers with what readJsonBody made of the Node request.
  server = http.createServer((req, res) => {
    void outcome(() => readJsonBody(req, LIMIT)).then((result) => res.end(JSON.stringify(result)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const cases: [string, string][] = [
  ["a JSON object", '{"model":"m","n":1}'],
  ["malformed JSON", "{not json"],
  ["an array", "[1,2]"],
  ["null", "null"],
  ["an empty body", ""],
  ["a body over the limit", JSON.stringify({ text: "x".repeat(LIMIT) })],
];

describe("readJsonBody", () => {
  it.each(cases)("gives the same result for %s from a fetch Request and from a Node request", async (_name, text) => {
    const fromFetch = await outcome(() => readJsonBody(new Request("http://x/", { method: "POST", body: text }), LIMIT));
    const fromNode = (await (await fetch(url, { method: "POST", body: text })).json()) as Outcome;
    expect(fromNode).toEqual(fromFetch);
  });

  it("returns the object, or 400 / 413 in OpenAI's error shape", async () => {
    const read = (text: string) => outcome(() => readJsonBody(new Request("http://x/", { method: "POST", body: text }), LIMIT));
    expect(await read('{"model":"m"}')).toEqual({ body: { model: "m" } });
    expect(await read("{not json")).toMatchObject({ code: "invalid_request_error", status: 400, message: expect.stringMatching(/could not parse the JSON body/) });
    expect(await read("[1]")).toMatchObject({ code: "invalid_request_error", status: 400, message: expect.stringMatching(/must be a JSON object/) });
    expect(await read("x".repeat(LIMIT + 1))).toMatchObject({ code: "request_too_large", status: 413 });
  });

  it("refuses a declared Content-Length over the limit before reading the body", async () => {
    let pulled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled = true;
          controller.close();
        },
      },
      { highWaterMark: 0 }, // pulled only when read
    );
    const request = new Request("http://x/", { method: "POST", body, headers: { "content-length": String(LIMIT + 1) }, duplex: "half" } as RequestInit);
    expect(await outcome(() => readJsonBody(request, LIMIT))).toMatchObject({ code: "request_too_large", status: 413 });
    expect(pulled).toBe(false);
  });

  it("answers 408 when a fetch Request's body does not arrive within the deadline (a slow sender)", async () => {
    const encoder = new TextEncoder();
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"model":'));
        // …and nothing more: the sender stalls.
      },
      cancel() {
        cancelled = true;
      },
    });
    const request = new Request("http://x/", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(await outcome(() => readJsonBody(request, LIMIT, { timeoutMs: 200 }))).toMatchObject({ code: "request_timeout", status: 408 });
    expect(cancelled).toBe(true);
    const whole = new Request("http://x/", { method: "POST", body: '{"model":"m"}' });
    expect(await outcome(() => readJsonBody(whole, LIMIT, { timeoutMs: 200 }))).toEqual({ body: { model: "m" } });
  });
});
