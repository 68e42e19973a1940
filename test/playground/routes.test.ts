// The playground's routes through their real handlers, in-process: a real chain (anvil) with the
// marketplace deployed, a provider node in front of the demo model, the gateway built in this
// process with its wallet, and a real database (PGlite). What is checked: conversations are the
// signed-in user's only, state-changing calls need this site's Origin, the bounds hold, and a
// turn runs on the user's playground key (its usage record, its rate limit, a stop that stops it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import type { Db } from "@/lib/db";
import { playgroundLimits } from "@/lib/playground/limits";
import { Cleanup, eventually, modelIdFor, modelsConfig, seedProvider, startChain, startDemo, startProvider } from "../provider/fixture";
import { pgliteBackend } from "../db/backends";
import { migratedDatabase } from "../auth/fixture";
import { createPrismaClient } from "@/lib/db";

const site = "http://portal.test:3000";
const MODEL = "playground-test-model";
const PROVIDER = 3;
const cleanup = new Cleanup();
let db: Db;
let alice: { id: string; cookie: string };
let bob: { id: string; cookie: string };
type Handler = (request: Request, route?: { params: Promise<Record<string, string>> }) => Promise<Response>;
let routes: { chat: Handler; list: Handler; create: Handler; one: { GET: Handler; PATCH: Handler; DELETE: Handler } };

beforeAll(async () => {
  const [chain, database] = await Promise.all([startChain(cleanup), migratedDatabase(pgliteBackend)]);
  cleanup.add(() => database.drop());
  const demo = await startDemo(cleanup);
  const provider = await startProvider(cleanup, chain, { providerIndex: PROVIDER, models: modelsConfig([{ modelId: modelIdFor(PROVIDER, MODEL), url: demo.url }]) });
  await seedProvider(chain, { providerIndex: PROVIDER, endpoint: provider.endpoint, name: MODEL });
  // The app's environment (lib/env, read on first use): this test's chain, database and gateway wallet.
  Object.assign(process.env, {
    CHAIN: "local",
    RPC_URL: chain.anvil.rpcUrl,
    DIAMOND_ADDRESS: chain.deployed.diamond,
    MOR_TOKEN_ADDRESS: chain.deployed.mor,
    DATABASE_URL: "",
    PGLITE_PORT: new URL(database.url).port,
    APP_ORIGIN: "",
    GATEWAY_PRIVATE_KEY: devPrivateKey(devAccounts[2]),
    GATEWAY_SESSION_SECONDS: "600",
    GATEWAY_MAINTENANCE_INTERVAL_MS: "200",
  });
  db = createPrismaClient(database.url, { poolSize: 1 });
  cleanup.add(() => db.$disconnect());
  const webSession = await import("@/lib/auth/web-session");
  const signIn = async (address: string) => {
    const { token, user } = await webSession.openWebSession(db, address);
    return { id: user.id, cookie: `morpheus_session=${token}` };
  };
  [alice, bob] = await Promise.all([signIn(devAccounts[5].address), signIn(devAccounts[6].address)]);
  const [chat, list, one] = await Promise.all([
    import("@/app/api/playground/chat/route"),
    import("@/app/api/playground/conversations/route"),
    import("@/app/api/playground/conversations/[id]/route"),
  ]);
  routes = { chat: chat.POST as Handler, list: list.GET as Handler, create: list.POST as Handler, one: one as unknown as typeof routes.one };
  cleanup.add(async () => {
    await (await import("@/lib/gateway/runtime")).shutdownGateway();
    await (await import("@/lib/db")).db().$disconnect();
  });
}, 120_000);

afterAll(() => cleanup.run(), 60_000);

function request(path: string, user: { cookie: string }, init: { method?: string; body?: unknown; origin?: string | null; signal?: AbortSignal } = {}): Request {
  const headers: Record<string, string> = { cookie: user.cookie, "content-type": "application/json" };
  if (init.origin !== null) headers.origin = init.origin ?? site;
  return new Request(`${site}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal });
}
const params = (id: string) => ({ params: Promise.resolve({ id }) });

async function newConversation(user: { cookie: string }, title = "A test chat"): Promise<string> {
  const response = await routes.create(request("/api/playground/conversations", user, { method: "POST", body: { title, model: MODEL } }));
  expect(response.status).toBe(201);
  return ((await response.json()) as { conversation: { id: string } }).conversation.id;
}

type Part = { type: string; delta?: string; errorText?: string; messageMetadata?: Record<string, unknown> };

/** The UI message stream's parts (SSE `data:` lines), read to the end. */
async function parts(response: Response): Promise<Part[]> {
  const text = await response.text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => JSON.parse(line.slice(6)) as Part);
}

function turn(conversationId: string, text: string, extra: Record<string, unknown> = {}) {
  return { conversationId, model: MODEL, system: "", messages: [{ role: "user", text }], ...extra };
}

async function errorOf(response: Response) {
  return { status: response.status, ...((await response.json()) as { error: { code: string; message: string } }).error };
}

describe("playground conversations", () => {
  it("refuses another user's conversation id with 404, for reading, renaming, deleting and chatting", async () => {
    const id = await newConversation(alice);
    expect((await routes.one.GET(request(`/api/playground/conversations/${id}`, alice), params(id))).status).toBe(200);
    expect(await errorOf(await routes.one.GET(request(`/api/playground/conversations/${id}`, bob), params(id)))).toMatchObject({ status: 404, code: "not_found" });
    expect((await routes.one.PATCH(request(`/api/playground/conversations/${id}`, bob, { method: "PATCH", body: { title: "mine now" } }), params(id))).status).toBe(404);
    expect((await routes.one.DELETE(request(`/api/playground/conversations/${id}`, bob, { method: "DELETE" }), params(id))).status).toBe(404);
    expect(await errorOf(await routes.chat(request("/api/playground/chat", bob, { method: "POST", body: turn(id, "Hello") })))).toMatchObject({ status: 404, code: "not_found" });
    const list = (await (await routes.list(request("/api/playground/conversations", bob))).json()) as { conversations: unknown[] };
    expect(list.conversations).toEqual([]);
    const still = await db.playgroundConversation.findUniqueOrThrow({ where: { id } });
    expect(still.title).toBe("A test chat");
    expect(await db.playgroundMessage.count({ where: { conversationId: id } })).toBe(0);
  });

  it("refuses a state-changing call from a foreign Origin, or with none (403), and changes nothing", async () => {
    const id = await newConversation(alice);
    for (const origin of ["https://evil.example", null]) {
      expect(await errorOf(await routes.create(request("/api/playground/conversations", alice, { method: "POST", origin, body: { title: "x", model: MODEL } })))).toMatchObject({ status: 403, code: "forbidden_origin" });
      expect((await routes.one.PATCH(request(`/api/playground/conversations/${id}`, alice, { method: "PATCH", origin, body: { title: "renamed" } }), params(id))).status).toBe(403);
      expect((await routes.one.DELETE(request(`/api/playground/conversations/${id}`, alice, { method: "DELETE", origin }), params(id))).status).toBe(403);
      expect((await routes.chat(request("/api/playground/chat", alice, { method: "POST", origin, body: turn(id, "Hello") }))).status).toBe(403);
    }
    expect((await db.playgroundConversation.findUniqueOrThrow({ where: { id } })).title).toBe("A test chat");
  });

  it("renames and deletes the user's own conversation", async () => {
    const id = await newConversation(alice);
    expect((await routes.one.PATCH(request(`/api/playground/conversations/${id}`, alice, { method: "PATCH", body: { title: "Renamed" } }), params(id))).status).toBe(200);
    expect((await db.playgroundConversation.findUniqueOrThrow({ where: { id } })).title).toBe("Renamed");
    expect((await routes.one.DELETE(request(`/api/playground/conversations/${id}`, alice, { method: "DELETE" }), params(id))).status).toBe(200);
    expect(await db.playgroundConversation.findUnique({ where: { id } })).toBeNull();
  });

  it("holds the bounds: message size, messages per conversation, title length, conversations per user", async () => {
    const id = await newConversation(alice);
    const tooLong = "x".repeat(playgroundLimits.messageChars + 1);
    expect(await errorOf(await routes.chat(request("/api/playground/chat", alice, { method: "POST", body: turn(id, tooLong) })))).toMatchObject({ status: 400, code: "invalid_request" });
    const many = Array.from({ length: playgroundLimits.messagesPerConversation }, (_, i) => ({ role: i % 2 === 0 ? "user" : "assistant", text: `m${i}` }));
    many[many.length - 1].role = "user";
    const full = await errorOf(await routes.chat(request("/api/playground/chat", alice, { method: "POST", body: { ...turn(id, ""), messages: many } })));
    expect(full).toMatchObject({ status: 400, code: "invalid_request" });
    expect(full.message).toContain("start a new one");
    const longTitle = "t".repeat(playgroundLimits.titleChars + 1);
    expect((await routes.one.PATCH(request(`/api/playground/conversations/${id}`, alice, { method: "PATCH", body: { title: longTitle } }), params(id))).status).toBe(400);
    expect(await db.playgroundMessage.count({ where: { conversationId: id } })).toBe(0);

    // A fresh user fills up to the limit; the next one is refused with 409.
    const carol = await (await import("@/lib/auth/web-session")).openWebSession(db, devAccounts[7].address);
    const carolUser = { cookie: `morpheus_session=${carol.token}` };
    await db.playgroundConversation.createMany({
      data: Array.from({ length: playgroundLimits.conversationsPerUser }, (_, i) => ({ userId: carol.user.id, title: `c${i}`, model: MODEL })),
    });
    const refused = await errorOf(await routes.create(request("/api/playground/conversations", carolUser, { method: "POST", body: { title: "one more", model: MODEL } })));
    expect(refused).toMatchObject({ status: 409, code: "limit_reached" });
    expect(await db.playgroundConversation.count({ where: { userId: carol.user.id } })).toBe(playgroundLimits.conversationsPerUser);
  });
});

describe("playground chat", () => {
  it("streams an answer with its provider, TTFT and tokens, saves it, and writes the usage record with the playground key", async () => {
    const id = await newConversation(alice);
    const response = await routes.chat(request("/api/playground/chat", alice, { method: "POST", body: turn(id, "Show me some code please") }));
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    const all = await parts(response);
    const text = all.filter((p) => p.type === "text-delta").map((p) => p.delta).join("");
    expect(text).toContain("```ts");
    expect(text).toContain('Demo reply to "Show me some code please"');
    const metadata = all.filter((p) => p.type === "message-metadata").at(-1)?.messageMetadata;
    expect(metadata).toMatchObject({ provider: devAccounts[PROVIDER].address.toLowerCase(), requestId, completionTokens: expect.any(Number), promptTokens: 5 });
    expect(metadata?.ttftMs).toEqual(expect.any(Number));

    const key = await db.apiKey.findFirstOrThrow({ where: { userId: alice.id, kind: "playground" } });
    // The claim writes the record as "running"; the request's end completes it.
    const record = await eventually(() => db.usageRecord.findFirstOrThrow({ where: { requestId: requestId!, status: { not: "running" } } }), { timeoutMs: 10_000 });
    expect(record).toMatchObject({ apiKeyId: key.id, status: "ok", stream: true, model: MODEL, providerAddress: devAccounts[PROVIDER].address.toLowerCase() });
    expect(record.completionTokens).toBe(metadata?.completionTokens);

    const saved = await db.playgroundMessage.findMany({ where: { conversationId: id }, orderBy: { position: "asc" } });
    expect(saved.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(saved[1].content).toBe(text);
    expect(saved[1].metadata).toMatchObject({ provider: devAccounts[PROVIDER].address.toLowerCase() });
  });

  it("shows the gateway's message inline when the playground key is over its rate limit", async () => {
    const id = await newConversation(bob);
    await routes.chat(request("/api/playground/chat", bob, { method: "POST", body: turn(id, "first") })).then(parts);
    await db.apiKey.updateMany({ where: { userId: bob.id, kind: "playground" }, data: { rpmLimit: 1 } });
    const response = await routes.chat(request("/api/playground/chat", bob, { method: "POST", body: turn(id, "second") }));
    const error = (await parts(response)).find((p) => p.type === "error");
    expect(error?.errorText).toMatch(/^Rate limit reached for this API key \(requests per minute\)/);
    const key = await db.apiKey.findFirstOrThrow({ where: { userId: bob.id, kind: "playground" } });
    await eventually(async () => expect(await db.usageRecord.count({ where: { apiKeyId: key.id, errorCode: "rate_limit_exceeded" } })).toBe(1));
  });

  it("stops the provider's work when the browser stops: the usage record says client_closed_request, the partial answer is saved as stopped", async () => {
    const id = await newConversation(alice, "Stop me");
    const abort = new AbortController();
    const response = await routes.chat(request("/api/playground/chat", alice, { method: "POST", body: turn(id, "Tell me a long story slowly"), signal: abort.signal }));
    const requestId = response.headers.get("x-request-id")!;
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes('"type":"text-delta"')) seen += (await reader.read()).value ?? "";
    abort.abort();
    await reader.cancel().catch(() => {});
    const record = await eventually(() => db.usageRecord.findFirstOrThrow({ where: { requestId, status: { not: "running" } } }), { timeoutMs: 10_000 });
    expect(record).toMatchObject({ status: "error", errorCode: "client_closed_request" });
    const answer = await eventually(() => db.playgroundMessage.findFirstOrThrow({ where: { conversationId: id, role: "assistant" } }));
    expect(answer.metadata).toMatchObject({ stopped: true });
    expect(answer.content).toMatch(/^Demo/);
    expect(answer.content).not.toContain("Slow sentence 12 of 12");
  });
});
