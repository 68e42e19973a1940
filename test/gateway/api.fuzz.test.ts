// Property-based fuzzing of every public /api/v1 route (issue 10) against a running gateway
// (`next start`), with fast-check: malformed and truncated JSON, wrong types, huge and deeply
// nested values, unicode edge cases (lone surrogates, NUL), oversized bodies, wrong content types,
// odd header values, slow senders. Every answer must be a clean error in OpenAI's shape (or a
// success), never a 500, a stack trace or internals, never a hang or a crash, and every inference
// request that got past authentication must leave its usage record.
// `npm test` runs a short pass (FUZZ_RUNS, default 15 per property); `npm run test:fuzz` a long one.
import net from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cleanup,
  createKey,
  eventually,
  modelIdFor,
  modelsConfig,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startProvider,
  type GatewayProcess,
  type TestDatabase,
} from "./fixture";

const RUNS = Number(process.env.FUZZ_RUNS ?? 15);
const [FAST_PROVIDER, SLOW_PROVIDER] = [3, 4];
const MODEL = "fuzz-chat";
const SLOW_MODEL = "fuzz-slow-chat";
const MAX_BODY = 8192;
/** Long runs take their time; each request is bounded by the gateway's own deadlines. */
const PROPERTY_TIMEOUT = 60_000 + RUNS * 3_000;

const cleanup = new Cleanup();
let gateway: GatewayProcess;
let database: TestDatabase;
let key: string;
/** Request ids of inference requests that got past authentication: each must have a usage record. */
const mustBeRecorded: string[] = [];

beforeAll(async () => {
  const chain = await startChain(cleanup);
  const fast = await startDemo(cleanup);
  const slow = await startDemo(cleanup, { tokenDelayMs: 100 });
  const fastNode = await startProvider(cleanup, chain, { providerIndex: FAST_PROVIDER, models: modelsConfig([{ modelId: modelIdFor(FAST_PROVIDER, MODEL), url: fast.url }]) });
  const slowNode = await startProvider(cleanup, chain, { providerIndex: SLOW_PROVIDER, models: modelsConfig([{ modelId: modelIdFor(SLOW_PROVIDER, SLOW_MODEL), url: slow.url }]) });
  await seedProvider(chain, { providerIndex: FAST_PROVIDER, endpoint: fastNode.endpoint, name: MODEL });
  await seedProvider(chain, { providerIndex: SLOW_PROVIDER, endpoint: slowNode.endpoint, name: SLOW_MODEL });
  database = await startDatabase(cleanup);
  gateway = await startGateway(cleanup, {
    chain,
    database,
    instanceId: "fuzz-tests",
    env: {
      GATEWAY_MAX_BODY_BYTES: String(MAX_BODY),
      GATEWAY_BODY_TIMEOUT_MS: "1000",
      GATEWAY_DEFAULT_RPM: "0",
      GATEWAY_DEFAULT_TPM: "0",
      GATEWAY_MAX_CONCURRENT_PER_KEY: "2",
      GATEWAY_AUTH_FAILURES_PER_MINUTE: "1000000",
    },
  });
  key = await createKey(database.db);
}, 180_000);
afterAll(() => cleanup.run());
showGatewayOutputOnFailure(() => [gateway]);

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function send(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(`${gateway.baseURL}${path}`, {
    method: init.method ?? "POST",
    body: init.body,
    headers: init.headers,
    signal: AbortSignal.timeout(60_000), // a hang fails the property instead of the whole file
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const ALLOWED_STATUS = new Set([200, 400, 401, 404, 408, 413, 429, 502, 503, 504]);
const INTERNALS = /prisma|\bat [\w$.<>]+ \(|node_modules|\/work\/|\.ts:\d+|ECONN|SyntaxError|TypeError|RangeError|URIError|undefined is not|Cannot read prop/i;

/** The answer is a success or a clean OpenAI-shaped error with a request id, and shows nothing of the gateway's insides. */
function expectClean(answer: Answer, what: string): void {
  expect(ALLOWED_STATUS.has(answer.status), `${what}: status ${answer.status}: ${answer.text.slice(0, 300)}`).toBe(true);
  expect(answer.headers.get("x-request-id"), what).toMatch(/^req_[0-9a-f]{24}$/);
  expect(answer.headers.get("x-content-type-options"), what).toBe("nosniff");
  if (answer.status === 200 && answer.headers.get("content-type")?.startsWith("text/event-stream")) {
    expect(answer.text, what).toMatch(/data: \[DONE\]\n\n$|data: \{"error":/);
    return;
  }
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  if (answer.status === 200) return;
  const error = body.error as Record<string, unknown>;
  expect(Object.keys(error).sort(), what).toEqual(["code", "message", "param", "type"]);
  expect(typeof error.message, what).toBe("string");
  expect(error.message, what).not.toMatch(INTERNALS);
}

// --- arbitraries ------------------------------------------------------------------------------

/** Text with every code point, lone surrogates and NUL included. */
const anyText = (maxLength = 64) => fc.string({ unit: "binary", maxLength });
const weirdString = fc.oneof(anyText(), fc.constantFrom("", "\u0000", "\uD800", "\uDFFF\uD800", "x".repeat(300), "0x" + "ab".repeat(32), "%25", "../../etc/passwd", "<script>", "\u202Eevil"));
const weirdValue = fc.oneof(weirdString, fc.anything({ maxDepth: 3 }), fc.double(), fc.constantFrom(1e308, -1, 0, 2 ** 53, null, true, [], {}));
const validMessages = fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant"), content: anyText(200) }), { minLength: 1, maxLength: 3 });

const chatBody = fc.record(
  {
    model: fc.oneof({ weight: 3, arbitrary: fc.constant(MODEL) }, weirdValue),
    messages: fc.oneof({ weight: 3, arbitrary: validMessages }, weirdValue),
    stream: fc.oneof(fc.boolean(), weirdValue),
    stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), weirdValue),
    n: fc.oneof(fc.integer({ min: -2, max: 12 }), weirdValue),
    max_tokens: fc.oneof(fc.integer(), fc.double(), weirdValue),
    temperature: weirdValue,
    type: weirdValue,
  },
  { requiredKeys: ["model", "messages"] },
);
const embeddingsBody = fc.record(
  { model: fc.oneof({ weight: 3, arbitrary: fc.constant(MODEL) }, weirdValue), input: fc.oneof(anyText(100), fc.array(anyText(20), { maxLength: 3 }), weirdValue), encoding_format: weirdValue },
  { requiredKeys: ["model"] },
);

/** A request body as bytes: well-formed or not. */
const bodyText = (json: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: json.map((v) => JSON.stringify(v) ?? "") },
    json.chain((v) => {
      const text = JSON.stringify(v) ?? "";
      return fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n)); // truncated
    }),
    anyText(200),
    fc.json({ maxDepth: 4 }),
    fc.integer({ min: 1, max: 4_000 }).map((depth) => `{"model":${"[".repeat(depth)}${"]".repeat(depth)}}`), // deeply nested
    fc.integer({ min: MAX_BODY, max: MAX_BODY * 4 }).map((size) => JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "y".repeat(size) }] })), // oversized
  );

const contentType = fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "");
/** Header values a client can send (visible ASCII and spaces). */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }).map((v) => v.trim());
const authorization = fc.oneof({ weight: 5, arbitrary: fc.constant("valid") }, headerValue, fc.constantFrom("Bearer ", "Bearer sk-", "bearer x", "Basic Zm9vOmJhcg=="));

async function inference(path: string, body: string, headers: { contentType: string; authorization: string; forwardedFor?: string }): Promise<void> {
  const valid = headers.authorization === "valid";
  const answer = await send(path, {
    body,
    headers: {
      ...(headers.contentType ? { "content-type": headers.contentType } : {}),
      authorization: valid ? `Bearer ${key}` : headers.authorization,
      ...(headers.forwardedFor ? { "x-forwarded-for": headers.forwardedFor } : {}),
    },
  });
  expectClean(answer, `${path} ${JSON.stringify(body.slice(0, 200))}`);
  if (valid) {
    expect(answer.status, "a valid key is never refused as invalid").not.toBe(401);
    mustBeRecorded.push(answer.headers.get("x-request-id")!);
  }
}

// --- properties -------------------------------------------------------------------------------

describe("every /api/v1 route answers hostile input cleanly", () => {
  it(
    "POST /chat/completions",
    async () => {
      await fc.assert(
        fc.asyncProperty(bodyText(chatBody), contentType, authorization, fc.option(headerValue), (body, type, auth, forwardedFor) =>
          inference("/chat/completions", body, { contentType: type, authorization: auth, forwardedFor: forwardedFor ?? undefined }),
        ),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "POST /embeddings",
    async () => {
      await fc.assert(
        fc.asyncProperty(bodyText(embeddingsBody), contentType, authorization, (body, type, auth) => inference("/embeddings", body, { contentType: type, authorization: auth })),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "GET /models and /models/{id}, with any id",
    async () => {
      const rawSegment = fc.oneof(
        anyText(80).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "?"))), // encodeURIComponent refuses lone surrogates
        fc.constantFrom("%25", "%", "%E0%A4%A", "%00", "%2F..%2F", "%C0%AE", "0x" + "f".repeat(64), MODEL),
      );
      await fc.assert(
        fc.asyncProperty(rawSegment, authorization, async (segment, auth) => {
          const headers = { authorization: auth === "valid" ? `Bearer ${key}` : auth };
          expectClean(await send(`/models/${segment}`, { method: "GET", headers }), `/models/${segment}`);
          expectClean(await send("/models", { method: "GET", headers }), "/models");
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describe("senders and connections that misbehave", () => {
  /** Writes `request` on a raw socket; resolves with what the server answered by the time it closed or sent a full head. */
  function rawExchange(request: string): Promise<string> {
    const url = new URL(gateway.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) });
      let received = "";
      socket.setTimeout(30_000, () => socket.destroy(new Error("no answer within 30 s")));
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("utf8");
        if (/\r\n\r\n/.test(received) && /content-length: (\d+)/i.test(received)) {
          const length = Number(/content-length: (\d+)/i.exec(received)![1]);
          if (Buffer.byteLength(received.slice(received.indexOf("\r\n\r\n") + 4)) >= length) socket.end();
        }
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(received));
      socket.write(request);
    });
  }

  it("a body that stops arriving is answered 408 once GATEWAY_BODY_TIMEOUT_MS is over, and recorded", async () => {
    const answer = await rawExchange(
      `POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{"model":"${MODEL}","messages":[`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"request_timeout"');
    const requestId = /x-request-id: (req_[0-9a-f]{24})/i.exec(answer)![1];
    mustBeRecorded.push(requestId);
  }, 60_000);

  it("malformed heads (NUL, CR/LF injection, obs-fold) are refused by the HTTP parser, and the gateway keeps serving", async () => {
    for (const head of ["Authorization: Bearer x\u0000y\r\n", "X-Test: a\rInjected: 1\r\n", "Authorization: Bearer a\r\n folded\r\n"]) {
      const answer = await rawExchange(`GET /api/v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head}\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    }
    expectClean(await send("/models", { method: "GET", headers: { authorization: `Bearer ${key}` } }), "after malformed heads");
  }, 60_000);

  it("one key may run GATEWAY_MAX_CONCURRENT_PER_KEY requests at once; the next is refused with 429 until one ends", async () => {
    const ownKey = await createKey(database.db, { name: "concurrency" });
    const headers = { authorization: `Bearer ${ownKey}`, "content-type": "application/json" };
    const body = JSON.stringify({ model: SLOW_MODEL, stream: true, messages: [{ role: "user", content: "a slow answer please" }] });
    const open = await Promise.all([0, 1].map(() => fetch(`${gateway.baseURL}/chat/completions`, { method: "POST", headers, body })));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await send("/chat/completions", { headers, body });
    expect(third.status).toBe(429);
    expectClean(third, "third concurrent request");
    await Promise.all(open.map((r) => r.text()));
    const afterwards = await send("/chat/completions", { headers, body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }) });
    expect(afterwards.status).toBe(200);
  }, 120_000);

  it("security headers come with pages and API responses alike", async () => {
    for (const path of ["/", "/api/v1/models"]) {
      const response = await fetch(`${gateway.url}${path}`);
      expect(response.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("strict-transport-security"), path).toMatch(/^max-age=\d+/); // next start runs in production
    }
    // Pages: only scripts with this response's nonce run; API responses run nothing and keep the static policy.
    expect((await fetch(`${gateway.url}/`)).headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{22,}' 'strict-dynamic'/);
    expect((await fetch(`${gateway.url}/api/v1/models`)).headers.get("content-security-policy")).not.toContain("script-src");
  });

  it("pages that print the API's base URL take it from Host, never from a client's X-Forwarded-Host (a shared cache could keep it)", async () => {
    const host = new URL(gateway.url).host;
    for (const path of ["/docs", "/models"]) {
      const response = await fetch(`${gateway.url}${path}`, { headers: { "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" } });
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(html, path).not.toContain("evil.example");
      if (path === "/docs") expect(html).toContain(`http://${host}/api/v1`);
    }
  });
});

describe("afterwards", () => {
  it(
    "every inference request that got past authentication is on record",
    async () => {
      expect(mustBeRecorded.length).toBeGreaterThan(0);
      await eventually(
        async () => {
          const found = await database.db.usageRecord.count({ where: { requestId: { in: mustBeRecorded } } });
          expect(found).toBe(mustBeRecorded.length);
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it("the gateway still serves", async () => {
    expectClean(await send("/models", { method: "GET", headers: { authorization: `Bearer ${key}` } }), "after the fuzzing");
  });
});
