// callUpstream against a real HTTP server speaking OpenAI's server-sent events.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseModelsConfig } from "./models-config";
import { callUpstream, UpstreamHttpError, type UpstreamEvent } from "./upstream";

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An upstream that answers every request with `body` as an event stream. */
async function sseUpstream(body: string) {
  return upstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(body);
  });
}

/** An upstream model served by `handler`. */
async function upstream(handler: http.RequestListener) {
  const server = http.createServer(handler);
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

describe("callUpstream: what an upstream sends is bounded", () => {
  const collect = async (model: Awaited<ReturnType<typeof upstream>>, stream: boolean) => {
    const out: UpstreamEvent[] = [];
    for await (const event of callUpstream(model, "chat", { stream, messages: [] }, { signal: AbortSignal.timeout(20_000) })) out.push(event);
    return out;
  };
  const MiB = 1024 * 1024;

  it("a streamed event that never ends past 16 MiB fails the call instead of growing the process", async () => {
    const model = await upstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunk("ok"))}\n\n`);
      res.end(`data: "${"a".repeat(17 * MiB)}`);
    });
    await expect(collect(model, true)).rejects.toThrow(/over 16777216 characters/);
  });

  it("a whole response over 16 MiB fails the call", async () => {
    const model = await upstream((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ choices: [], pad: "a".repeat(17 * MiB) }));
    });
    await expect(collect(model, false)).rejects.toThrow(/over 16777216 bytes/);
  });

  it("an error body is kept up to 64 KiB; a non-JSON one becomes OpenAI's error shape", async () => {
    const model = await upstream((_req, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("x".repeat(MiB));
    });
    const error = await collect(model, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamHttpError);
    const body = (error as UpstreamHttpError).body as { error: { message: string; type: string } };
    expect((error as UpstreamHttpError).status).toBe(503);
    expect(body.error.type).toBe("upstream_error");
    expect(body.error.message).toBe("x".repeat(64 * 1024));
  });

  it("UTF-8 split across network reads arrives whole", async () => {
    const text = "héllo wörld — 你好 🌍";
    const bytes = Buffer.from(`data: ${JSON.stringify(chunk(text))}\n\ndata: [DONE]\n\n`);
    const model = await upstream(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // One byte at a time, so every multi-byte character is split between reads.
      for (const byte of bytes) {
        res.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
    expect(await collect(model, true)).toEqual([{ kind: "chunk", data: chunk(text) }, { kind: "done" }]);
  });
});

describe("callUpstream: redirects", () => {
  it("follows a 307 / 308 with the same method and body, as fetch and the Go node's client do", async () => {
    const seen: string[] = [];
    const model = await upstream((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${JSON.parse(body).model}`);
        if (req.url === "/v1/chat/completions") {
          res.writeHead(307, { location: "/moved/chat/completions" }).end();
        } else if (req.url === "/moved/chat/completions") {
          res.writeHead(308, { location: "/final/chat/completions" }).end();
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { content: "moved" } }] }));
        }
      });
    });
    const out: UpstreamEvent[] = [];
    for await (const event of callUpstream(model, "chat", { messages: [] }, { signal: AbortSignal.timeout(10_000) })) out.push(event);
    expect(out).toEqual([{ kind: "response", data: { choices: [{ message: { content: "moved" } }] } }]);
    expect(seen).toEqual(["POST /v1/chat/completions m", "POST /moved/chat/completions m", "POST /final/chat/completions m"]);
  });
});
