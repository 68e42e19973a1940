// A demo model server: a tiny OpenAI-compatible HTTP API (chat completions, embeddings, model
// list) that answers deterministically. It stands in for a real LLM behind the local demo
// provider (`npm start`) and in tests; nothing it says comes from a language model.
import { createHash } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { ApiError, readJsonBody } from "@/lib/http";
import {
  countDemoTokens,
  countPromptTokens,
  DEMO_MODEL_NAME,
  demoEmbedding,
  demoReply,
  demoTokens,
  embeddingToBase64,
  wantsSlowReply,
} from "./reply";

export interface DemoModelOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = any free port. */
  port: number;
  /** Listed by /v1/models and echoed when a request names no model. Default "morpheus-demo-chat". */
  modelName?: string;
  /** Delay before each streamed chunk, to look like a model that takes its time. Default 0. */
  tokenDelayMs?: number;
  /** "Thinking" time before the first streamed chunk or a whole reply, as a reasoning model takes. Default 0. */
  firstTokenDelayMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** A failure the demo model can be switched into (fault tests): answer 500s, or hang without answering. */
export type DemoModelFault = "none" | "error" | "hang";

export interface DemoModel {
  /** The OpenAI base URL, e.g. http://127.0.0.1:8000/v1 */
  url: string;
  port: number;
  /** How chat completions answer from now on (default "none": normally). */
  fault: DemoModelFault;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_EMBEDDING_DIMENSIONS = 64;
/** Pause before each streamed chunk of a reply asked for "slowly". */
const SLOW_TOKEN_DELAY_MS = 250;

// --- request schemas (unknown fields such as tools, tool_choice or temperature pass through) ---

const chatRequestSchema = z.looseObject({
  model: z.string().nullish(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
});

const embeddingsRequestSchema = z.looseObject({
  model: z.string().nullish(),
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048)], {
    error: "expected a non-empty string or array of strings (the demo model takes no token arrays)",
  }),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.int().min(1).max(4096).nullish(),
});

type ChatRequest = z.infer<typeof chatRequestSchema>;

// --- errors in OpenAI's shape (the gateway's error type and body reader) ----------------------

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.join(".") || undefined;
  throw new ApiError("invalid_request_error", param ? `Invalid '${param}': ${issue.message}` : issue.message, { param });
}

// --- chat completions -----------------------------------------------------------------------------

interface Completion {
  id: string;
  created: number;
  model: string;
  /** The reply cut into demo tokens; joined they are the content. */
  tokens: string[];
  finishReason: "stop" | "length";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function complete(request: ChatRequest, defaultModel: string): Completion {
  const messages = request.messages.map((m) => ({ role: m.role, content: m.content }));
  const json = request.response_format?.type === "json_object" || request.response_format?.type === "json_schema";
  const all = demoTokens(demoReply(messages, { json }));
  const limit = request.max_completion_tokens ?? request.max_tokens ?? Infinity;
  const tokens = all.slice(0, limit);
  const promptTokens = countPromptTokens(messages);
  return {
    // Deterministic too: the same request gets the same id.
    id: `chatcmpl-demo-${createHash("sha256").update(JSON.stringify(request)).digest("hex").slice(0, 24)}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model ?? defaultModel,
    tokens,
    finishReason: tokens.length < all.length ? "length" : "stop",
    usage: { prompt_tokens: promptTokens, completion_tokens: tokens.length, total_tokens: promptTokens + tokens.length },
  };
}

function completionObject(c: Completion) {
  return {
    id: c.id,
    object: "chat.completion",
    created: c.created,
    model: c.model,
    choices: [{ index: 0, message: { role: "assistant", content: c.tokens.join(""), refusal: null }, logprobs: null, finish_reason: c.finishReason }],
    usage: c.usage,
    system_fingerprint: "demo",
  };
}

/** The chat.completion.chunk objects of a streamed reply, in order. */
function completionChunks(c: Completion, includeUsage: boolean): object[] {
  const chunk = (delta: object, finishReason: string | null) => ({
    id: c.id,
    object: "chat.completion.chunk",
    created: c.created,
    model: c.model,
    system_fingerprint: "demo",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: object[] = [chunk({ role: "assistant", content: "", refusal: null }, null)];
  for (const token of c.tokens) chunks.push(chunk({ content: token }, null));
  chunks.push(chunk({}, c.finishReason));
  if (includeUsage) {
    chunks.push({ id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model, system_fingerprint: "demo", choices: [], usage: c.usage });
  }
  return chunks;
}

async function streamCompletion(res: http.ServerResponse, c: Completion, includeUsage: boolean, tokenDelayMs: number): Promise<void> {
  // A client that goes away stops the stream.
  const gone = new AbortController();
  res.once("close", () => gone.abort());
  // Exactly text/event-stream: the Go proxy-router recognises SSE by this content type.
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  res.flushHeaders();
  const events = [...completionChunks(c, includeUsage).map((chunk) => JSON.stringify(chunk)), "[DONE]"];
  try {
    for (const data of events) {
      if (tokenDelayMs > 0) await sleep(tokenDelayMs, undefined, { signal: gone.signal });
      if (gone.signal.aborted) return;
      if (!res.write(`data: ${data}\n\n`)) await once(res, "drain", { signal: gone.signal });
    }
    res.end();
  } catch (error) {
    if (!gone.signal.aborted) throw error;
  }
}

// --- the server ---------------------------------------------------------------------------------

function baseUrl(address: AddressInfo): string {
  const host =
    address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "[::1]" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/v1`;
}

/** Starts the demo model; resolves once it listens. */
export async function startDemoModel(options: DemoModelOptions): Promise<DemoModel> {
  const modelName = options.modelName ?? DEMO_MODEL_NAME;
  const tokenDelayMs = options.tokenDelayMs ?? 0;
  const firstTokenDelayMs = options.firstTokenDelayMs ?? 0;
  const control = { fault: "none" as DemoModelFault };

  const routes: Record<string, Partial<Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>>>> = {
    // POST /v1/chat/completions: a deterministic reply, whole or streamed as SSE.
    "/v1/chat/completions": {
      POST: async (req, res) => {
        const request = parseBody(chatRequestSchema, await readJsonBody(req, MAX_BODY_BYTES));
        if (control.fault === "error") throw new ApiError("internal_error", "The demo model was switched to fail (fault test).");
        const gone = new AbortController();
        res.once("close", () => gone.abort());
        // Hanging: nothing is ever sent; the request ends only when the client gives up.
        if (control.fault === "hang") return void (await once(gone.signal, "abort"));
        if (firstTokenDelayMs > 0) {
          // Rejects only when the client left, which the check below handles.
          await sleep(firstTokenDelayMs, undefined, { signal: gone.signal }).catch(() => undefined);
          if (gone.signal.aborted) return;
        }
        const completion = complete(request, modelName);
        // "slowly" in the prompt: a pace a person (or a browser test) can press Stop during.
        const delay = wantsSlowReply(request.messages) ? Math.max(tokenDelayMs, SLOW_TOKEN_DELAY_MS) : tokenDelayMs;
        if (request.stream) await streamCompletion(res, completion, request.stream_options?.include_usage === true, delay);
        else sendJson(res, 200, completionObject(completion));
      },
    },
    // POST /v1/embeddings: deterministic unit vectors derived from SHA-256 of each input.
    "/v1/embeddings": {
      POST: async (req, res) => {
        const request = parseBody(embeddingsRequestSchema, await readJsonBody(req, MAX_BODY_BYTES));
        const inputs = typeof request.input === "string" ? [request.input] : request.input;
        const dimensions = request.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
        const tokens = inputs.reduce((sum, text) => sum + countDemoTokens(text), 0);
        sendJson(res, 200, {
          object: "list",
          data: inputs.map((text, index) => {
            const vector = demoEmbedding(text, dimensions);
            return { object: "embedding", index, embedding: request.encoding_format === "base64" ? embeddingToBase64(vector) : vector };
          }),
          model: request.model ?? modelName,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        });
      },
    },
    // GET /v1/models: the one model this server pretends to be.
    "/v1/models": {
      GET: async (_req, res) => {
        sendJson(res, 200, { object: "list", data: [{ id: modelName, object: "model", created: 0, owned_by: "morpheus-demo" }] });
      },
    },
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://demo.invalid").pathname.replace(/(.)\/+$/, "$1");
    const handle = async () => {
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        throw new ApiError("invalid_api_key", "Incorrect API key provided to the demo model.");
      }
      const route = routes[path];
      if (!route) throw new ApiError("unknown_url", `Invalid URL (${method} ${path})`);
      const handler = route[method];
      if (!handler) {
        res.setHeader("Allow", Object.keys(route).join(", "));
        throw new ApiError("method_not_allowed", `Method ${method} not allowed on ${path}`);
      }
      await handler(req, res);
    };
    handle().catch((error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError("internal_error", `demo model failed: ${(error as Error).message}`);
      if (!(error instanceof ApiError)) console.error("[demo-model]", error);
      if (res.headersSent) res.destroy();
      else sendJson(res, apiError.status, apiError.toBody());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl(address),
    port: address.port,
    get fault() {
      return control.fault;
    },
    set fault(value: DemoModelFault) {
      control.fault = value;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // idle keep-alive sockets and unfinished streams
      });
      return closing;
    },
  };
}
