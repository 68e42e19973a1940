// The /api/v1 surface through the official openai SDK against a running gateway (`next start`):
// models, chat completions whole and streamed, embeddings, request fields passed through to the
// model, every error code in OpenAI's shape and status, x-request-id on every response, and one
// usage record per request under 50 concurrent streams. One chain, provider node, demo model,
// database and gateway serve the whole file.
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeApiKey } from "@/lib/auth";
import { devAccounts } from "@/lib/chain/anvil";
import { demoEmbedding } from "@/lib/demo-model/reply";
import {
  Cleanup,
  createKey,
  modelIdFor,
  modelsConfig,
  openaiFor,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startSwitchableProxy,
  startProvider,
  startUpstreamRecorder,
  usageRecord,
  type GatewayProcess,
  type TestChain,
  type TestDatabase,
  type UpstreamRecorder,
} from "./fixture";

const PROVIDER = 3;
const UNREACHABLE_PROVIDER = 4;
const MODEL = "gateway-chat";
const UNREACHABLE_MODEL = "unreachable-chat";
const modelId = modelIdFor(PROVIDER, MODEL);
const provider = devAccounts[PROVIDER].address.toLowerCase();

const cleanup = new Cleanup();
let gateway: GatewayProcess;
let database: TestDatabase;
let upstream: UpstreamRecorder;
let key: string;
let client: OpenAI;

let chain: TestChain;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  upstream = await startUpstreamRecorder(cleanup, demo.url);
  const node = await startProvider(cleanup, chain, { providerIndex: PROVIDER, models: modelsConfig([{ modelId, url: upstream.url }]) });
  await seedProvider(chain, { providerIndex: PROVIDER, endpoint: node.endpoint, name: MODEL });
  // A model whose only provider's endpoint has nothing listening (port 1 is never ours).
  await seedProvider(chain, { providerIndex: UNREACHABLE_PROVIDER, endpoint: "127.0.0.1:1", name: UNREACHABLE_MODEL });
  database = await startDatabase(cleanup);
  // The load test below runs 50 streams of one key at once.
  gateway = await startGateway(cleanup, { chain, database, instanceId: "openai-api-tests", env: { GATEWAY_MAX_CONCURRENT_PER_KEY: "64" } });
  key = await createKey(database.db);
  client = openaiFor(gateway, key);
});
afterAll(() => cleanup.run());
showGatewayOutputOnFailure(() => [gateway]);

const messages = [{ role: "user" as const, content: "Hello gateway <&> \"quoted\" ünïcode" }];
const REQUEST_ID = /^req_[0-9a-f]{24}$/;

/** The error a call throws, checked to be the SDK's APIError in OpenAI's exact shape with a request id. */
async function apiError(call: Promise<unknown>): Promise<APIError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected the call to fail with an API error").toBeInstanceOf(APIError);
  const e = error as APIError;
  expect(Object.keys(e.error as object).sort()).toEqual(["code", "message", "param", "type"]);
  expect(e.requestID).toMatch(REQUEST_ID);
  return e;
}

/** A raw request, for what the SDK cannot send (no key, an unparseable or unsized body). */
async function raw(path: string, init: RequestInit & { duplex?: "half" } = {}) {
  const response = await fetch(`${gateway.baseURL}${path}`, init);
  const body = (await response.json()) as { error?: Record<string, unknown> };
  return { status: response.status, headers: response.headers, body };
}

describe("models", () => {
  it("lists the active on-chain models and retrieves one by name or 0x model id", async () => {
    const { data: page, response } = await client.models.list().withResponse();
    expect(response.headers.get("x-request-id")).toMatch(REQUEST_ID);
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([MODEL, UNREACHABLE_MODEL]));
    const listed = page.data.find((m) => m.id === MODEL);
    expect(listed).toMatchObject({ object: "model", owned_by: provider, morpheus_model_id: modelId, active_bids: 1 });
    expect(listed!.created).toBeGreaterThan(0);

    expect(await client.models.retrieve(MODEL)).toEqual(listed);
    expect(await client.models.retrieve(modelId)).toEqual(listed);
  });
});

describe("the model catalog", () => {
  it("is read once for the /models page and /api/v1/models alike: views within its cache time read nothing from the chain", async () => {
    // A gateway of its own whose chain RPC goes through a proxy that counts what is sent to the chain.
    const rpc = await startSwitchableProxy(cleanup, new URL(chain.anvil.rpcUrl).host);
    const catalogGateway = await startGateway(cleanup, { chain, database, instanceId: "catalog-cache-tests", env: { RPC_URL: `http://${rpc.endpoint}`, GATEWAY_PRIVATE_KEY: "" } });
    const view = async () => {
      const response = await fetch(`${catalogGateway.url}/models`);
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain(MODEL);
      expect(html).toContain("0.36 MOR/h");
    };
    await view();
    const afterFirstView = rpc.sentBytes;
    expect(afterFirstView).toBeGreaterThan(0);
    await view();
    expect((await openaiFor(catalogGateway, key).models.list()).data.map((m) => m.id).sort()).toEqual([MODEL, UNREACHABLE_MODEL].sort());
    expect(rpc.sentBytes, "no chain read for the second view nor for the API's list").toBe(afterFirstView);
  });
});

describe("chat completions", () => {
  it("answers whole, and records the request's usage with the provider and session that served it", async () => {
    const { data: completion, response } = await client.chat.completions.create({ model: MODEL, messages }).withResponse();
    expect(completion).toMatchObject({ object: "chat.completion", model: MODEL, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant" } }] });
    expect(completion.choices[0].message.content).toContain('Demo reply to "Hello gateway <&> "quoted" ünïcode"');
    const usage = completion.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);

    const record = await usageRecord(database.db, response.headers.get("x-request-id"));
    expect(record).toMatchObject({
      endpoint: "chat.completions",
      stream: false,
      model: MODEL,
      status: "ok",
      errorCode: null,
      providerAddress: provider,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
    });
    expect(record.sessionId).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("streams chunks that end properly, the last one carrying usage and no choices when asked", async () => {
    const whole = await client.chat.completions.create({ model: MODEL, messages });
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-request-id")).toMatch(REQUEST_ID);
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk); // throws unless the stream ends cleanly

    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk).toMatchObject({ object: "chat.completion.chunk", model: MODEL });
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe(whole.choices[0].message.content);
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    expect(withChoices.at(-1)!.choices[0].finish_reason).toBe("stop");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(chunks.slice(0, -1).every((c) => !c.usage)).toBe(true);

    const record = await usageRecord(database.db, response.headers.get("x-request-id"));
    expect(record).toMatchObject({ stream: true, status: "ok", promptTokens: whole.usage!.prompt_tokens, completionTokens: whole.usage!.completion_tokens });
  });

  it("streams without a usage chunk when not asked", async () => {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of await client.chat.completions.create({ model: MODEL, messages, stream: true })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("stop");
  });

  it("passes tools, tool_choice and response_format through to the model; in JSON mode the reply is JSON", async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "The weather in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const request = {
      model: MODEL,
      messages: [{ role: "user" as const, content: "Reply in JSON please" }],
      tools,
      tool_choice: { type: "function" as const, function: { name: "get_weather" } },
      response_format: { type: "json_object" as const },
      temperature: 0.25,
      seed: 7,
    };
    const before = upstream.requests.length;
    const completion = await client.chat.completions.create(request);
    const reply = JSON.parse(completion.choices[0].message.content!) as Record<string, unknown>;
    expect(reply).toMatchObject({ demo: true, words: 4, reply: expect.stringContaining("Reply in JSON please") });

    const sent = upstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe("/v1/chat/completions");
    expect(sent[0].body).toMatchObject({
      messages: request.messages,
      tools,
      tool_choice: request.tool_choice,
      response_format: request.response_format,
      temperature: 0.25,
      seed: 7,
    });
  });
});

describe("embeddings", () => {
  it("returns the model's vectors, one per input, and records the usage", async () => {
    const inputs = ["first text", "second, longer text to embed"];
    const { data: result, response } = await client.embeddings.create({ model: MODEL, input: inputs }).withResponse();
    expect(result).toMatchObject({ object: "list", model: MODEL });
    expect(result.data.map((d) => d.index)).toEqual([0, 1]);
    result.data.forEach((d, i) => {
      const expected = demoEmbedding(inputs[i], 64);
      expect(d.embedding).toHaveLength(64);
      d.embedding.forEach((value, j) => expect(value).toBeCloseTo(expected[j], 6));
    });
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    const record = await usageRecord(database.db, response.headers.get("x-request-id"));
    expect(record).toMatchObject({ endpoint: "embeddings", model: MODEL, status: "ok", providerAddress: provider, promptTokens: result.usage.prompt_tokens });
  });
});

describe("errors, in OpenAI's shape and status, each with an x-request-id", () => {
  it("401 invalid_api_key without a key", async () => {
    const { status, headers, body } = await raw("/models");
    expect(status).toBe(401);
    expect(headers.get("x-request-id")).toMatch(REQUEST_ID);
    expect(body).toEqual({ error: { message: expect.stringContaining("didn't provide an API key"), type: "invalid_request_error", param: null, code: "invalid_api_key" } });
  });

  it("401 invalid_api_key for a wrong key", async () => {
    const wrongKey = key.slice(0, -8) + "AAAAAAAA";
    const error = await apiError(openaiFor(gateway, wrongKey).models.list());
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error", param: null });
    expect(error.message).toContain("Incorrect API key");
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("401 for a revoked key, from the next request on", async () => {
    const revocable = await createKey(database.db, { name: "to be revoked" });
    const revocableClient = openaiFor(gateway, revocable);
    await expect(revocableClient.chat.completions.create({ model: MODEL, messages })).resolves.toBeDefined();
    await revokeApiKey(database.db, { key: revocable });
    const error = await apiError(revocableClient.models.list());
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("404 model_not_found for an unknown model (chat, embeddings, retrieve)", async () => {
    for (const call of [
      () => client.chat.completions.create({ model: "no-such-model", messages }),
      () => client.embeddings.create({ model: "no-such-model", input: "x" }),
      () => client.models.retrieve("no-such-model"),
    ]) {
      const error = await apiError(call());
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error).toMatchObject({ status: 404, code: "model_not_found", type: "invalid_request_error", param: "model" });
      expect(error.message).toContain("no-such-model");
    }
  });

  it("404 for a model the key may not use", async () => {
    const restricted = openaiFor(gateway, await createKey(database.db, { allowedModels: [UNREACHABLE_MODEL] }));
    const error = await apiError(restricted.chat.completions.create({ model: MODEL, messages }));
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    expect((await restricted.models.list()).data.map((m) => m.id)).toEqual([UNREACHABLE_MODEL]);
  });

  it("400 invalid_request_error naming the bad param", async () => {
    const empty = await apiError(client.chat.completions.create({ model: MODEL, messages: [] }));
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect(empty).toMatchObject({ status: 400, type: "invalid_request_error", code: null, param: "messages" });

    const badInput = await apiError(client.embeddings.create({ model: MODEL, input: 42 as unknown as string }));
    expect(badInput).toMatchObject({ status: 400, type: "invalid_request_error", param: "input" });

    const unparseable = await raw("/chat/completions", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{not json" });
    expect(unparseable.status).toBe(400);
    expect(unparseable.headers.get("x-request-id")).toMatch(REQUEST_ID);
    expect(unparseable.body).toEqual({ error: { message: expect.stringContaining("JSON"), type: "invalid_request_error", param: null, code: null } });
  });

  it("413 for a body over GATEWAY_MAX_BODY_BYTES, with or without a content-length", async () => {
    const big = [{ role: "user" as const, content: "x".repeat(10_000) }];
    const error = await apiError(client.chat.completions.create({ model: MODEL, messages: big }));
    expect(error).toMatchObject({ status: 413, code: "request_too_large", type: "invalid_request_error" });
    expect(error.message).toContain("8192 bytes");

    // Sent chunked (no content-length): the limit is enforced while reading.
    const body = new Blob([JSON.stringify({ model: MODEL, messages: big })]).stream();
    const chunked = await raw("/chat/completions", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body, duplex: "half" });
    expect(chunked.status).toBe(413);
    expect(chunked.headers.get("x-request-id")).toMatch(REQUEST_ID);
    expect(chunked.body.error).toMatchObject({ code: "request_too_large" });
  });

  it("429 rate_limit_exceeded with retry-after and the x-ratelimit headers for a key over its rpm", async () => {
    const limited = openaiFor(gateway, await createKey(database.db, { name: "tiny rpm", rpmLimit: 2 }));
    const first = await limited.models.list().withResponse();
    expect(first.response.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.response.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    await limited.models.list();
    const error = await apiError(limited.chat.completions.create({ model: MODEL, messages }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests", param: null });
    const retryAfter = Number(error.headers!.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 61).toBe(true);
    expect(error.headers!.get("x-ratelimit-limit-requests")).toBe("2");
    expect(error.headers!.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(error.headers!.get("x-ratelimit-reset-requests")).toMatch(/^\d+(ms|s)$|^\d+m\d+s$/);
    // The refused inference request is on record too.
    const record = await usageRecord(database.db, error.requestID);
    expect(record).toMatchObject({ status: "error", errorCode: "rate_limit_exceeded" });
  });

  it("503 when no provider of the model can be reached", async () => {
    const error = await apiError(client.chat.completions.create({ model: UNREACHABLE_MODEL, messages }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, code: "no_provider_available", type: "service_unavailable", param: null });
    const record = await usageRecord(database.db, error.requestID);
    expect(record).toMatchObject({ model: UNREACHABLE_MODEL, status: "error", errorCode: "no_provider_available" });
  });
});

describe("hostile input (issue 10)", () => {
  const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${gateway.baseURL}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });

  it("GET /models/{id} decodes the id once: %25 is a 404, not a URIError's 500", async () => {
    for (const id of ["%25", "%25E0%25A4%25A", "a%2541"]) {
      const response = await call(`/models/${id}`);
      expect(response.status, id).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    }
  });

  it("n over GATEWAY_MAX_N is refused; max_tokens over GATEWAY_MAX_TOKENS reaches the model lowered to it", async () => {
    const tooMany = await apiError(client.chat.completions.create({ model: MODEL, messages, n: 9 }));
    expect(tooMany).toMatchObject({ status: 400, param: "n" });
    const wrongType = await call("/chat/completions", { method: "POST", body: JSON.stringify({ model: MODEL, messages, max_tokens: "lots" }) });
    expect(wrongType.status).toBe(400);

    const before = upstream.requests.length;
    await client.chat.completions.create({ model: MODEL, messages, max_tokens: 1_000_000_000, max_completion_tokens: 2_000_000 });
    const sent = upstream.requests.slice(before).find((r) => r.path.endsWith("/chat/completions"))!;
    expect(sent.body).toMatchObject({ max_tokens: 32_768, max_completion_tokens: 32_768 });
  });

  it("an upstream model's error text does not reach the API user: a clean message with its parameter", async () => {
    // The demo model takes no token arrays; the gateway passes them on.
    const error = await apiError(client.embeddings.create({ model: MODEL, input: [[1, 2, 3]] }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^400 The provider's model refused the request as invalid/);
    expect(error.message).not.toMatch(/demo model|token arrays/);
  });
});

describe("usage records", () => {
  it("one per request, status ok with token counts, under 50 concurrent streams", async () => {
    const loadKey = await createKey(database.db, { name: "load" });
    const loadClient = openaiFor(gateway, loadKey);
    const streams = Array.from({ length: 50 }, async (_, i) => {
      const { data: stream, response } = await loadClient.chat.completions
        .create({ model: MODEL, messages: [{ role: "user", content: `concurrent stream number ${i}` }], stream: true, stream_options: { include_usage: true } })
        .withResponse();
      let usage: OpenAI.CompletionUsage | null | undefined;
      let text = "";
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        usage = chunk.usage ?? usage;
      }
      return { requestId: response.headers.get("x-request-id")!, usage: usage!, text };
    });
    const results = await Promise.all(streams);
    results.forEach((r, i) => expect(r.text).toContain(`concurrent stream number ${i}`));

    const apiKey = await database.db.apiKey.findFirstOrThrow({ where: { name: "load" }, select: { id: true } });
    const records = await waitForUsageCount(apiKey.id, 50);
    expect(new Set(records.map((r) => r.requestId))).toEqual(new Set(results.map((r) => r.requestId)));
    for (const result of results) {
      const record = records.find((r) => r.requestId === result.requestId)!;
      expect(record).toMatchObject({
        endpoint: "chat.completions",
        stream: true,
        status: "ok",
        errorCode: null,
        providerAddress: provider,
        promptTokens: result.usage.prompt_tokens,
        completionTokens: result.usage.completion_tokens,
      });
      expect(record.promptTokens).toBeGreaterThan(0);
      expect(record.completionTokens).toBeGreaterThan(0);
      expect(record.sessionId).toMatch(/^0x[0-9a-f]{64}$/);
    }
  });
});

async function waitForUsageCount(apiKeyId: string, count: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const records = await database.db.usageRecord.findMany({ where: { apiKeyId, status: { not: "running" } } }); // finished ones
    if (records.length >= count || Date.now() > deadline) {
      expect(records).toHaveLength(count);
      return records;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
