// The claudeai adapter against a stand-in of Anthropic's Messages API (a local HTTP server that
// answers in its documented wire format: a whole message, or SSE events).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseModelsConfig, type ModelConfig } from "./models-config";
import { callUpstream, UpstreamHttpError, type UpstreamEvent } from "./upstream";

interface Seen {
  headers: http.IncomingHttpHeaders;
  url: string;
  body: Record<string, unknown>;
}
const seen: Seen[] = [];
let behaviour: "ok" | "overloaded" | "cut" = "ok";

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const server = http.createServer((req, res) => {
  let raw = "";
  req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
  req.on("end", () => {
    const body = JSON.parse(raw) as Record<string, unknown>;
    seen.push({ headers: req.headers, url: req.url ?? "", body });
    if (behaviour === "overloaded") {
      res.writeHead(529, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
      return;
    }
    if (!body.stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "msg_1", type: "message", role: "assistant", content: [{ type: "text", text: "Hello there" }], stop_reason: "end_turn", usage: { input_tokens: 12, output_tokens: 3 } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(sse("message_start", { message: { id: "msg_2", usage: { input_tokens: 12, output_tokens: 1 } } }));
    res.write(sse("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    res.write(sse("ping", {}));
    res.write(sse("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hello" } }));
    res.write(sse("content_block_delta", { index: 0, delta: { type: "text_delta", text: " [DONE] there" } }));
    if (behaviour === "cut") {
      res.end();
      return;
    }
    res.write(sse("content_block_stop", { index: 0 }));
    res.write(sse("message_delta", { delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 4 } }));
    res.end(sse("message_stop", {}));
  });
});

let model: ModelConfig;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const config = parseModelsConfig(
    JSON.stringify({ models: [{ modelId: `0x${"b".repeat(64)}`, modelName: "claude-test", apiType: "claudeai", apiUrl: `http://127.0.0.1:${port}/v1/messages`, apiKey: "sk-ant-test" }] }),
  );
  model = config.models[0];
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function collect(payload: Record<string, unknown>): Promise<UpstreamEvent[]> {
  const events: UpstreamEvent[] = [];
  for await (const event of callUpstream(model, "chat", payload, { signal: AbortSignal.timeout(10_000) })) events.push(event);
  return events;
}

const messages = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hi" },
  { role: "user", content: [{ type: "text", text: "again" }] },
];

describe("claudeai upstream", () => {
  it("sends a Messages API request to apiUrl with Anthropic's headers, and answers as an OpenAI chat.completion", async () => {
    behaviour = "ok";
    const events = await collect({ model: "ignored", messages, temperature: 0.3, max_tokens: 50, stop: "END" });
    const request = seen.at(-1)!;
    expect(request.url).toBe("/v1/messages");
    expect(request.headers["x-api-key"]).toBe("sk-ant-test");
    expect(request.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toEqual({
      model: "claude-test",
      system: "Be brief.",
      messages: [{ role: "user", content: "Hi\n\nagain" }],
      max_tokens: 50,
      temperature: 0.3,
      stop_sequences: ["END"],
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "response",
      data: {
        object: "chat.completion",
        model: "claude-test",
        choices: [{ index: 0, message: { role: "assistant", content: "Hello there" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
      },
    });
  });

  it("streams OpenAI chunks from Anthropic's SSE events, with the usage chunk when asked for, and ends", async () => {
    behaviour = "ok";
    const events = await collect({ messages, stream: true, stream_options: { include_usage: true } });
    expect(seen.at(-1)!.body).toMatchObject({ stream: true, max_tokens: 4096 });
    const chunks = events.filter((e) => e.kind === "chunk").map((e) => (e as { data: Record<string, unknown> }).data);
    expect(chunks.map((c) => (c.choices as { delta?: { content?: string } }[])[0]?.delta?.content ?? null)).toEqual(["", "Hello", " [DONE] there", null, null]);
    expect((chunks[3].choices as { finish_reason: string }[])[0].finish_reason).toBe("length");
    expect(chunks[4]).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } });
    expect(chunks.every((c) => c.id === "msg_2" && c.object === "chat.completion.chunk")).toBe(true);
    expect(events.at(-1)).toEqual({ kind: "done" });
  });

  it("passes Anthropic's HTTP errors on in OpenAI's shape", async () => {
    behaviour = "overloaded";
    const error = await collect({ messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(error).toMatchObject({ status: 529, body: { error: { message: "Overloaded", type: "overloaded_error" } } });
  });

  it("reports a stream cut before message_stop as an error, never as a complete answer", async () => {
    behaviour = "cut";
    const events: UpstreamEvent[] = [];
    const error = await (async () => {
      for await (const event of callUpstream(model, "chat", { messages, stream: true }, { signal: AbortSignal.timeout(10_000) })) events.push(event);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(events.some((e) => e.kind === "done")).toBe(false);
  });

  it("refuses what it cannot translate as the upstream's 400 (tool messages, images, embeddings)", async () => {
    await expect(collect({ messages: [{ role: "tool", content: "x" }] })).rejects.toMatchObject({ status: 400 });
    await expect(collect({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] })).rejects.toMatchObject({ status: 400 });
    const embeddings = (async () => {
      for await (const event of callUpstream(model, "embeddings", { input: "x" }, { signal: AbortSignal.timeout(10_000) })) void event;
    })();
    await expect(embeddings).rejects.toMatchObject({ status: 400 });
  });
});
