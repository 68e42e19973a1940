// The OpenAI-compatible operations behind /api/v1: list and get models, chat completions
// (streamed as SSE or whole) and embeddings. Request fields other than the few checked here
// (tools, tool_choice, response_format, sampling…) pass through to the provider untouched.
import "server-only";
import { z } from "zod";
import { readJsonBody } from "@/lib/http";
import { MorRpcError } from "@/lib/morrpc";
import { ApiError } from "./errors";
import { jsonResponse, toApiError, type ApiContext } from "./http";
import { runInference, type InferenceKind, type InferenceTrace } from "./inference";
import { keyMayUse, type GatewayModel } from "./models";
import type { Gateway } from "./runtime";

// --- request schemas ------------------------------------------------------------------------

const chatRequest = z
  .object({
    model: z.string({ error: "you must provide a model parameter" }).min(1, "you must provide a model parameter"),
    messages: z.array(z.object({ role: z.string() }).loose(), { error: "messages must be an array of messages" }).min(1, "messages must not be empty"),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  })
  .loose();

const embeddingsRequest = z
  .object({
    model: z.string({ error: "you must provide a model parameter" }).min(1, "you must provide a model parameter"),
    input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)], {
      error: "input must be a string or an array of strings or token arrays",
    }),
  })
  .loose();

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.map(String).join(".") || undefined;
  throw new ApiError("invalid_request_error", `Invalid request: ${param ? `${param}: ` : ""}${issue.message}`, { param });
}

/**
 * What a request may ask a provider to generate, within the operator's maxima: `n` over GATEWAY_MAX_N
 * is refused, token limits over GATEWAY_MAX_TOKENS are lowered to it (OpenAI's SDKs send large
 * defaults). Each must be a positive integer when present.
 */
function limitGeneration(ctx: ApiContext, body: Record<string, unknown>): void {
  const positiveInteger = (name: string) => {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new ApiError("invalid_request_error", `Invalid request: ${name}: must be a positive integer`, { param: name });
    }
    return value;
  };
  const n = positiveInteger("n");
  if (n !== undefined && n > ctx.gateway.maxN) {
    throw new ApiError("invalid_request_error", `Invalid request: n: at most ${ctx.gateway.maxN} choices per request on this gateway`, { param: "n" });
  }
  for (const name of ["max_tokens", "max_completion_tokens"]) {
    const value = positiveInteger(name);
    if (value !== undefined && value > ctx.gateway.maxTokens) body[name] = ctx.gateway.maxTokens;
  }
}

// --- models ------------------------------------------------------------------------------------

function modelObject(model: GatewayModel) {
  return {
    id: model.id,
    object: "model" as const,
    created: Number(model.createdAt),
    owned_by: model.owner.toLowerCase(),
    // Morpheus extras: the on-chain identity and what serves it.
    morpheus_model_id: model.modelId,
    name: model.name,
    tags: model.tags,
    active_bids: model.offers.length,
  };
}

export async function listModels(ctx: ApiContext): Promise<Response> {
  const models = await readCatalog(ctx.gateway);
  const visible = models.filter((m) => isAllowed(ctx, m));
  return jsonResponse({ object: "list", data: visible.map(modelObject) });
}

// `id` comes decoded from the route (Next.js decodes path segments): decoding it again would turn
// "%25" into a URIError and "a%2541" into another name.
export async function retrieveModel(ctx: ApiContext, id: string): Promise<Response> {
  const model = await resolveModel(ctx, id);
  return jsonResponse(modelObject(model));
}

async function readCatalog(gateway: Gateway): Promise<GatewayModel[]> {
  try {
    return await gateway.directory.list();
  } catch (error) {
    gateway.log.error(`reading the model catalog: ${(error as Error).message}`);
    throw new ApiError("gateway_unavailable", "The model catalog cannot be read from the chain right now; please retry shortly.");
  }
}

function isAllowed(ctx: ApiContext, model: GatewayModel): boolean {
  return keyMayUse(ctx.key.allowedModels, model);
}

/** The requested model, if it exists and this key may use it (else 404, as OpenAI answers both). */
async function resolveModel(ctx: ApiContext, requested: string): Promise<GatewayModel> {
  await readCatalog(ctx.gateway);
  const model = await ctx.gateway.directory.resolve(requested);
  if (!model || !isAllowed(ctx, model)) {
    throw new ApiError("model_not_found", `The model \`${requested}\` does not exist or you do not have access to it.`, { param: "model" });
  }
  return model;
}

// --- inference ----------------------------------------------------------------------------------

type ProviderUsage = { prompt_tokens?: number; completion_tokens?: number };

/** Strips the provider's extra usage field and names the model as the API user asked for it. */
function presentReply(data: unknown, modelId: string): { body: Record<string, unknown>; usage?: ProviderUsage; providerUsage?: ProviderUsage } {
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new ApiError("upstream_error", "The provider's reply was not a JSON object.");
  }
  const { usage_from_provider: providerUsage, ...body } = data as Record<string, unknown> & { usage_from_provider?: ProviderUsage };
  if ("model" in body) body.model = modelId;
  const usage = body.usage && typeof body.usage === "object" ? (body.usage as ProviderUsage) : undefined;
  return { body, usage, providerUsage };
}

/** A provider's token count as a number we can add and store: junk is 0, anything huge the int4 maximum. */
function tokenCount(value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) return 0;
  return Math.min(2_147_483_647, Math.floor(value));
}

function countTokens(ctx: ApiContext, usage: ProviderUsage | undefined): void {
  if (!usage || !ctx.usage) return;
  ctx.usage.entry.promptTokens = tokenCount(usage.prompt_tokens);
  ctx.usage.entry.completionTokens = tokenCount(usage.completion_tokens);
}

function requireInference(gateway: Gateway): NonNullable<Gateway["inference"]> {
  if (!gateway.inference) throw new ApiError("gateway_unavailable", "This gateway has no wallet configured (GATEWAY_PRIVATE_KEY), so it cannot open sessions.");
  return gateway.inference;
}

function startInference(ctx: ApiContext, kind: InferenceKind, model: GatewayModel, body: Record<string, unknown>, trace: InferenceTrace, signal: AbortSignal) {
  return runInference(
    { ...requireInference(ctx.gateway), log: ctx.gateway.log },
    {
      kind,
      model,
      body,
      requestId: ctx.requestId,
      signal,
      timeouts: ctx.gateway.timeoutsFor(model),
      livenessPingMs: ctx.gateway.livenessPingMs,
      usage: ctx.usage?.runningRecord(),
    },
    trace,
  );
}

function recordTrace(ctx: ApiContext, trace: InferenceTrace): void {
  if (!ctx.usage) return;
  if (trace.provider) ctx.usage.entry.providerAddress = trace.provider.toLowerCase();
  if (trace.sessionId) ctx.usage.entry.sessionId = trace.sessionId.toLowerCase();
  if (trace.ttftMs !== undefined) ctx.usage.entry.ttftMs = trace.ttftMs;
}

/** Ties the upstream work to the HTTP request: a client that goes away stops the provider's work. */
function requestAbort(request: Request): AbortController {
  const controller = new AbortController();
  if (request.signal.aborted) controller.abort();
  request.signal.addEventListener("abort", () => controller.abort(), { once: true });
  return controller;
}

export async function createEmbeddings(ctx: ApiContext): Promise<Response> {
  const body = await readJsonBody(ctx.request, ctx.gateway.maxBodyBytes, { timeoutMs: ctx.gateway.bodyTimeoutMs });
  const request = parse(embeddingsRequest, body);
  ctx.usage!.entry.model = request.model;
  const model = await resolveModel(ctx, request.model);
  const trace: InferenceTrace = { attempts: 0 };
  const abort = requestAbort(ctx.request);
  const replies = startInference(ctx, "embeddings", model, body, trace, abort.signal);
  try {
    const first = await replies.next();
    if (first.done) throw new ApiError("upstream_error", "The provider sent no embeddings.");
    const { body: response, usage, providerUsage } = presentReply(first.value, model.id);
    countTokens(ctx, usage ?? providerUsage);
    return jsonResponse(response);
  } finally {
    recordTrace(ctx, trace);
    await replies.return(undefined);
  }
}

export async function createChatCompletion(ctx: ApiContext): Promise<Response> {
  const body = await readJsonBody(ctx.request, ctx.gateway.maxBodyBytes, { timeoutMs: ctx.gateway.bodyTimeoutMs });
  const request = parse(chatRequest, body);
  ctx.usage!.entry.model = request.model;
  ctx.usage!.entry.stream = request.stream === true;
  limitGeneration(ctx, body);
  const model = await resolveModel(ctx, request.model);
  const trace: InferenceTrace = { attempts: 0 };
  const abort = requestAbort(ctx.request);
  const replies = startInference(ctx, "chat", model, body, trace, abort.signal);

  if (request.stream !== true) {
    try {
      const first = await replies.next();
      if (first.done) throw new ApiError("upstream_error", "The provider sent no completion.");
      const { body: completion, usage, providerUsage } = presentReply(first.value, model.id);
      if (!usage && providerUsage) completion.usage = providerUsage;
      countTokens(ctx, usage ?? providerUsage);
      return jsonResponse(completion);
    } finally {
      recordTrace(ctx, trace);
      await replies.return(undefined);
    }
  }

  // Streamed: failover happens before the first reply, so wait for it before committing to 200.
  let first: IteratorResult<unknown>;
  try {
    first = await replies.next();
  } catch (error) {
    recordTrace(ctx, trace);
    throw error;
  }
  ctx.usage!.deferred = true;
  recordTrace(ctx, trace); // the provider and session are known from the first reply on
  const stream = chatEventStream(ctx, { first, replies, model, includeUsage: request.stream_options?.include_usage === true, trace, abort });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}

const encoder = new TextEncoder();
const sseData = (value: unknown) => encoder.encode(`data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`);

/**
 * The SSE body: each provider chunk as a `data:` event, then `data: [DONE]`. With
 * stream_options.include_usage the last chunk before [DONE] carries usage and empty choices
 * (the provider's own, or one built from its usage count). An error after the first byte ends
 * the stream with an error event, never a silent clean end.
 */
function chatEventStream(
  ctx: ApiContext,
  s: { first: IteratorResult<unknown>; replies: AsyncGenerator<unknown>; model: GatewayModel; includeUsage: boolean; trace: InferenceTrace; abort: AbortController },
): ReadableStream<Uint8Array> {
  let pendingFirst: IteratorResult<unknown> | undefined = s.first;
  let usage: ProviderUsage | undefined;
  let providerUsage: ProviderUsage | undefined;
  let sawUsageChunk = false;
  let last: Record<string, unknown> | undefined;
  const finish = (status: "ok" | "error", code?: string) => {
    recordTrace(ctx, s.trace);
    countTokens(ctx, usage ?? providerUsage);
    ctx.usage!.finish(status, code);
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = pendingFirst ?? (await s.replies.next());
        pendingFirst = undefined;
        if (next.done) {
          if (s.includeUsage && !sawUsageChunk && (usage ?? providerUsage)) {
            const u = usage ?? providerUsage!;
            const total = (u.prompt_tokens ?? 0) + (u.completion_tokens ?? 0);
            controller.enqueue(
              sseData({ id: last?.id, object: "chat.completion.chunk", created: last?.created, model: s.model.id, choices: [], usage: { ...u, total_tokens: total } }),
            );
          }
          controller.enqueue(sseData("[DONE]"));
          controller.close();
          finish("ok");
          return;
        }
        const reply = presentReply(next.value, s.model.id);
        last = reply.body;
        if (reply.usage) usage = reply.usage;
        if (reply.providerUsage) providerUsage = reply.providerUsage;
        if (Array.isArray(reply.body.choices) && reply.body.choices.length === 0 && reply.usage) sawUsageChunk = true;
        controller.enqueue(sseData(reply.body));
      } catch (thrown) {
        if (s.abort.signal.aborted) return; // cancel() below has already cleaned up
        if (thrown instanceof MorRpcError) ctx.gateway.log.error(`request ${ctx.requestId}: the provider failed mid-stream: ${thrown.code}: ${thrown.message}`);
        const error = thrown instanceof MorRpcError ? new ApiError("upstream_error", "The provider failed mid-stream.") : toApiError(thrown, ctx.requestId, ctx.gateway.log);
        controller.enqueue(sseData(error.toBody()));
        controller.close();
        finish("error", error.code);
      }
    },
    async cancel() {
      // The client went away: stop the provider's work and release the session.
      s.abort.abort();
      await s.replies.return(undefined).catch(() => {});
      finish("error", "client_closed_request");
    },
  });
}
