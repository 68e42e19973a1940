// callUpstream against a real HTTP server speaking OpenAI's server-sent events.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseModelsConfig } from "./models-config";
import { callUpstream, type UpstreamEvent } from "./upstream";

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An upstream that answers every request with `body` as an event stream. */
async function sseUpstream(body: string) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  return parseModelsConfig(JSON.stringify({ models: [{ modelId: `0x${"ab".repeat(32)}`, modelName: "m", apiType: "openai", apiUrl: url }] })).models[0];
}

async function events(body: string): Promise<UpstreamEvent[]> {
  const model = await sseUpstream(body);
  const out: UpstreamEvent[] = [];
  for await (const event of callUpstream(model, "chat", { stream: true, messages: [] }, { signal: AbortSignal.timeout(10_000) })) out.push(event);
  return out;
}

const chunk = (content: string) => ({ choices: [{ index: 0, delta: { content } }] });

describe("callUpstream: streamed chat", () => {
  it("a reply that mentions [DONE] is not the end of the stream; only a data line that is exactly [DONE] is", async () => {
    const body = [chunk("the marker is "), chunk("[DONE]"), chunk(" and more"), chunk('{"x":"[DONE]"}')]
      .map((c) => `data: ${JSON.stringify(c)}\n\n`)
      .join("");
    const seen = await events(`${body}data: [DONE]\n\ndata: ${JSON.stringify(chunk("after the end"))}\n\n`);
    expect(seen).toEqual([
      { kind: "chunk", data: chunk("the marker is ") },
      { kind: "chunk", data: chunk("[DONE]") },
      { kind: "chunk", data: chunk(" and more") },
      { kind: "chunk", data: chunk('{"x":"[DONE]"}') },
      { kind: "done" },
    ]);
  });

  it("a stream that ends without [DONE] still ends with one done event", async () => {
    expect(await events(`data: ${JSON.stringify(chunk("hi"))}\n\n`)).toEqual([{ kind: "chunk", data: chunk("hi") }, { kind: "done" }]);
  });
});
