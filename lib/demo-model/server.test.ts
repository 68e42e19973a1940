import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countDemoTokens, DEMO_MODEL_NAME, startDemoModel, type DemoModel } from "./index";
import { demoEmbedding, demoTokens } from "./reply";

let model: DemoModel;
let keyed: DemoModel;

beforeAll(async () => {
  model = await startDemoModel({ host: "127.0.0.1", port: 0, tokenDelayMs: 1 });
  keyed = await startDemoModel({ host: "127.0.0.1", port: 0, modelName: "keyed-demo", apiKey: "sk-demo" });
});

afterAll(async () => {
  await Promise.all([model?.close(), keyed?.close()]);
});

interface ChatCompletion {
  id: string;
  object: string;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface ChatChunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: ChatCompletion["usage"] | null;
}

const messages = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Tell me about   Morpheus\ncompute" },
];

function post(path: string, body: unknown, base = model.url, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.trim() !== "")
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      return event.slice("data: ".length);
    });
}

async function streamChunks(body: unknown): Promise<{ chunks: ChatChunk[]; contentType: string | null }> {
  const res = await post("/chat/completions", body);
  expect(res.status).toBe(200);
  const data = sseData(await res.text());
  expect(data.at(-1)).toBe("[DONE]");
  expect(data.filter((d) => d === "[DONE]")).toHaveLength(1);
  return { chunks: data.slice(0, -1).map((d) => JSON.parse(d) as ChatChunk), contentType: res.headers.get("content-type") };
}

describe("demo model: chat completions", () => {
  it("answers deterministically with consistent usage and echoes the model", async () => {
    const first = (await (await post("/chat/completions", { model: "anything-goes", messages })).json()) as ChatCompletion;
    const second = (await (await post("/chat/completions", { model: "anything-goes", messages })).json()) as ChatCompletion;
    expect(first.object).toBe("chat.completion");
    expect(first.model).toBe("anything-goes");
    expect(first.choices).toHaveLength(1);
    const { message, finish_reason } = first.choices[0];
    expect(message.role).toBe("assistant");
    expect(message.content).toMatch(/^Demo reply to "Tell me about Morpheus compute": /);
    expect(finish_reason).toBe("stop");
    expect(second.choices[0].message.content).toBe(message.content);
    expect(second.id).toBe(first.id);
    expect(first.usage).toEqual({
      prompt_tokens: countDemoTokens("You are terse.") + countDemoTokens("Tell me about   Morpheus\ncompute"),
      completion_tokens: countDemoTokens(message.content),
      total_tokens: first.usage.prompt_tokens + first.usage.completion_tokens,
    });
    expect(first.usage.prompt_tokens).toBe(8);

    const other = (await (await post("/chat/completions", { messages: [{ role: "user", content: "something else" }] })).json()) as ChatCompletion;
    expect(other.choices[0].message.content).not.toBe(message.content);
    expect(other.model).toBe(DEMO_MODEL_NAME);
  });

  it("reads text parts and accepts tools, tool_choice and other fields without using them", async () => {
    const res = await post("/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text: "parts work" }, { type: "image_url", image_url: { url: "data:," } }] }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }],
      tool_choice: "auto",
      temperature: 0.2,
      seed: 7,
      type: "chat",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletion;
    expect(body.choices[0].message.content).toMatch(/^Demo reply to "parts work"/);
    expect(body.choices[0].finish_reason).toBe("stop");
  });

  it("honours max_tokens and max_completion_tokens with finish_reason length", async () => {
    for (const limit of [{ max_tokens: 3 }, { max_completion_tokens: 3 }]) {
      const body = (await (await post("/chat/completions", { model: "m", messages, ...limit })).json()) as ChatCompletion;
      expect(body.choices[0].finish_reason).toBe("length");
      expect(body.choices[0].message.content).toBe('Demo reply to');
      expect(body.usage.completion_tokens).toBe(3);
    }
  });

  it("replies with a JSON object in json_object mode", async () => {
    const body = (await (await post("/chat/completions", { model: "m", messages, response_format: { type: "json_object" } })).json()) as ChatCompletion;
    const parsed = JSON.parse(body.choices[0].message.content) as { reply: string };
    expect(parsed.reply).toMatch(/^Demo reply to/);
  });

  it("streams SSE chunks whose content adds up to the non-streamed reply", async () => {
    const whole = (await (await post("/chat/completions", { model: "m", messages })).json()) as ChatCompletion;
    const { chunks, contentType } = await streamChunks({ model: "m", messages, stream: true });
    expect(contentType).toBe("text/event-stream");
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "m" && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(5);
    expect(contentChunks.every((c) => demoTokens(c.choices[0].delta.content ?? "").length <= 3)).toBe(true);
    expect(contentChunks.map((c) => c.choices[0].delta.content).join("")).toBe(whole.choices[0].message.content);
    const last = chunks.at(-1)!;
    expect(last.choices[0].finish_reason).toBe("stop");
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  it("adds a usage chunk with empty choices before [DONE] when include_usage is set", async () => {
    const { chunks } = await streamChunks({ model: "m", messages, stream: true, stream_options: { include_usage: true }, max_tokens: 4 });
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({ prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 });
    const finish = chunks.at(-2)!;
    expect(finish.choices[0].finish_reason).toBe("length");
    expect(finish.usage).toBeNull();
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Demo reply to \"Tell");
  });

  it("streams JSON mode as valid JSON once joined", async () => {
    const { chunks } = await streamChunks({ model: "m", messages, stream: true, response_format: { type: "json_object" } });
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(() => JSON.parse(content)).not.toThrow();
  });
});

describe("demo model: the playground's switches", () => {
  it("answers a message asking for code (the whole word) in Markdown with a fenced code block", async () => {
    const ask = async (content: string) => ((await (await post("/chat/completions", { messages: [{ role: "user", content }] })).json()) as ChatCompletion).choices[0].message.content;
    const markdown = await ask("Write some code for me");
    expect(markdown).toMatch(/^## Demo code\n\nDemo reply to "Write some code for me"/);
    expect(markdown).toContain("\n```ts\nexport function wordCount(text: string): number {\n");
    expect(markdown.endsWith("```")).toBe(true);
    expect(await ask("Write some code for me")).toBe(markdown);
    // "unicode" and "codec" do not contain the word: the plain reply.
    expect(await ask("unicode codec")).toMatch(/^Demo reply to "unicode codec"/);
  });

  it("answers a message asking for it slowly with a long reply (streamed with a pause per chunk, for the playground's Stop)", async () => {
    const body = (await (await post("/chat/completions", { messages: [{ role: "user", content: "Answer slowly" }] })).json()) as ChatCompletion;
    expect(body.choices[0].message.content).toMatch(/^Demo reply to "Answer slowly": [^]*Slow sentence 12 of 12 from the demo model\.$/);
    expect(body.usage.completion_tokens).toBeGreaterThan(100);
  });
});

describe("demo model: embeddings and models", () => {
  it("returns deterministic unit vectors in OpenAI's list shape", async () => {
    const res = await post("/embeddings", { model: "embed-demo", input: ["alpha beta", "gamma"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      model: string;
      data: { object: string; index: number; embedding: number[] }[];
      usage: { prompt_tokens: number; total_tokens: number };
    };
    expect(body.object).toBe("list");
    expect(body.model).toBe("embed-demo");
    expect(body.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(body.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ["embedding", 0, 64],
      ["embedding", 1, 64],
    ]);
    for (const { embedding } of body.data) expect(Math.hypot(...embedding)).toBeCloseTo(1, 10);
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding);

    const single = (await (await post("/embeddings", { input: "gamma", dimensions: 16 })).json()) as typeof body;
    expect(single.model).toBe(DEMO_MODEL_NAME);
    expect(single.data[0].embedding).toEqual(demoEmbedding("gamma", 16));
    const again = (await (await post("/embeddings", { input: "gamma" })).json()) as typeof body;
    expect(again.data[0].embedding).toEqual(body.data[1].embedding);
  });

  it("encodes base64 embeddings as little-endian float32", async () => {
    const body = (await (await post("/embeddings", { input: "gamma", encoding_format: "base64" })).json()) as {
      data: { embedding: string }[];
    };
    const bytes = Buffer.from(body.data[0].embedding, "base64");
    const floats = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(floats).toHaveLength(64);
    demoEmbedding("gamma", 64).forEach((v, i) => expect(floats[i]).toBeCloseTo(v, 6));
  });

  it("lists the configured model", async () => {
    const res = await fetch(`${keyed.url}/models`, { headers: { Authorization: "Bearer sk-demo" } });
    expect(await res.json()).toEqual({ object: "list", data: [{ id: "keyed-demo", object: "model", created: 0, owned_by: "morpheus-demo" }] });
  });
});

describe("demo model: errors", () => {
  async function expectError(res: Response, status: number, match: { param?: string | null; code?: string | null; message?: RegExp }) {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    if (match.param !== undefined) expect(body.error.param).toBe(match.param);
    if (match.code !== undefined) expect(body.error.code).toBe(match.code);
    if (match.message) expect(body.error.message).toMatch(match.message);
  }

  it("400 for a bad JSON body, missing or empty messages, or a bad max_tokens", async () => {
    await expectError(await post("/chat/completions", "{not json"), 400, { message: /could not parse the JSON body/ });
    await expectError(await post("/chat/completions", { model: "m" }), 400, { param: "messages" });
    await expectError(await post("/chat/completions", { model: "m", messages: [] }), 400, { param: "messages" });
    await expectError(await post("/chat/completions", { model: "m", messages: [{ content: "no role" }] }), 400, { param: "messages.0.role" });
    await expectError(await post("/chat/completions", { model: "m", messages, max_tokens: -1 }), 400, { param: "max_tokens" });
    await expectError(await post("/embeddings", { input: [1, 2, 3] }), 400, { param: "input" });
  });

  it("400 for a JSON body that is not an object, 413 for one over 4 MiB: the gateway's reader and errors", async () => {
    await expectError(await post("/chat/completions", "[]"), 400, { code: null, message: /^The request body must be a JSON object\.$/ });
    const huge = JSON.stringify({ messages, padding: "x".repeat(4 * 1024 * 1024) });
    await expectError(await post("/chat/completions", huge), 413, { code: "request_too_large", message: /^Request body too large: the limit is 4194304 bytes\.$/ });
  });

  it("404 for unknown paths and 405 for a wrong method", async () => {
    await expectError(await post("/completions", { prompt: "x" }), 404, { code: "unknown_url", message: /POST \/v1\/completions/ });
    await expectError(await fetch(`${model.url}/chat/completions`), 405, { code: "method_not_allowed" });
  });

  it("401 when the API key is missing or wrong", async () => {
    await expectError(await post("/chat/completions", { messages }, keyed.url), 401, { code: "invalid_api_key" });
    await expectError(await post("/chat/completions", { messages }, keyed.url, { Authorization: "Bearer nope" }), 401, { code: "invalid_api_key" });
    const ok = await post("/chat/completions", { messages }, keyed.url, { Authorization: "Bearer sk-demo" });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as ChatCompletion).model).toBe("keyed-demo");
  });
});

describe("demo model: closing", () => {
  it("close() ends an unfinished stream and frees the port", async () => {
    const slow = await startDemoModel({ host: "127.0.0.1", port: 0, tokenDelayMs: 50 });
    const res = await post("/chat/completions", { messages, stream: true }, slow.url);
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk arrived; the rest is still coming
    await slow.close();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
    await expect(fetch(`${slow.url}/models`)).rejects.toThrow();
  });
});

describe("demo model: fault switch (for the fault tests; hanging is exercised there, test/faults)", () => {
  it("answers 500s in OpenAI's shape while switched to fail, and normally again after", async () => {
    const faulty = await startDemoModel({ port: 0 });
    try {
      faulty.fault = "error";
      const failed = await post("/chat/completions", { messages }, faulty.url);
      expect(failed.status).toBe(500);
      expect(await failed.json()).toMatchObject({ error: { type: "server_error", code: "internal_error" } });
      faulty.fault = "none";
      expect((await post("/chat/completions", { messages }, faulty.url)).status).toBe(200);
    } finally {
      await faulty.close();
    }
  });
});
