// Property-based fuzzing of the provider node's MOR-RPC server (issue 10): whatever bytes a
// stranger sends — malformed or truncated JSON, wrong types, huge or deeply nested values, unicode
// edge cases, NUL bytes, trickled in pieces — the node answers at most one clean MOR-RPC error (or
// just closes), never crashes or hangs, and keeps serving real requests. FUZZ_RUNS sets the runs
// per property (`npm run test:fuzz` runs thousands; the normal suite a few dozen).
import net from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "@/lib/chain/anvil";
import { openProviderSession, promptSession, type Consumer, type OpenedSession } from "@/lib/consumer";
import {
  bytesToHex,
  createPrivateKey,
  encodeRequest,
  JsonObjectStream,
  newPingNonce,
  newRequestId,
  pingProvider,
  publicKeyFromPrivate,
  publicKeyToAddress,
  signParams,
} from "@/lib/morrpc";
import { CHAT, Cleanup, collect, consumerFor, modelIdFor, modelsConfig, PRICE, seedProvider, startChain, startDemo, startProvider, type InProcessProvider, type TestChain } from "./fixture";

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Far above a clean answer's few milliseconds, far below the node's 30 s read deadline: past it, the node hung. */
const EXCHANGE_DEADLINE_MS = 10_000;
const PROVIDER = 8;
const cleanup = new Cleanup();
let chain: TestChain;
let provider: InProcessProvider;
let consumer: Consumer;
let session: OpenedSession;
let bidId: `0x${string}`;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  provider = await startProvider(cleanup, chain, { providerIndex: PROVIDER, models: modelsConfig([{ modelId: modelIdFor(PROVIDER, "fuzz"), url: demo.url }]) });
  ({ bidId } = await seedProvider(chain, { providerIndex: PROVIDER, endpoint: provider.endpoint, name: "fuzz" }));
  consumer = await consumerFor(chain, 2);
  session = await openProviderSession(consumer, { bidId, provider: devAccounts[PROVIDER].address, endpoint: provider.endpoint, pricePerSecond: PRICE }, { durationSeconds: 3600n });
});
afterAll(() => cleanup.run());

/**
 * Writes `pieces` one at a time (a slow sender when there are many), half-closes as a consumer that
 * gave up would, and returns what the node sent before closing. Fails if the node neither answers
 * nor closes within EXCHANGE_DEADLINE_MS.
 */
function exchange(pieces: Uint8Array[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: provider.node.port });
    const received: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the node neither answered nor closed within ${EXCHANGE_DEADLINE_MS} ms`));
    }, EXCHANGE_DEADLINE_MS);
    socket.on("data", (chunk) => received.push(chunk));
    socket.on("error", () => {}); // a reset after a refusal is a clean close here
    socket.on("close", () => {
      clearTimeout(deadline);
      resolve(Buffer.concat(received));
    });
    socket.on("end", () => socket.destroy());
    socket.once("connect", async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (pieces.length > 1) await new Promise((r) => setImmediate(r));
      }
      if (!socket.destroyed) socket.end();
    });
  });
}

/** Every object the node sent is a MOR-RPC response; any error is the unsigned infrastructure form. */
function expectCleanReply(reply: Buffer): void {
  if (reply.length === 0) return;
  const objects = new JsonObjectStream().push(reply);
  expect(objects.length).toBeGreaterThan(0);
  for (const text of objects) {
    const response = JSON.parse(text) as { id?: unknown; result?: unknown; error?: { message?: unknown; code?: unknown; data?: { signature?: unknown } } };
    expect(typeof response.id).toBe("string");
    if (response.error !== undefined) {
      expect(response).toMatchObject({ result: null, error: { code: 400, data: { signature: "0x00" } } });
      expect(typeof response.error.message).toBe("string");
      expect(response.error.message).not.toMatch(/^internal error$|at .*\.ts:\d+/); // no crash text, no stack
    }
  }
}

const utf8 = new TextEncoder();
const user = createPrivateKey();
const userAddress = publicKeyToAddress(publicKeyFromPrivate(user));

/** Requests as a consumer would send them, signed by a stranger: the raw material for cuts and mutations. */
function validRequests(): string[] {
  const sessionId = session.sessionId;
  return [
    encodeRequest("network.ping", "0", signParams("network.ping", { nonce: newPingNonce() }, user)),
    encodeRequest("session.request", newRequestId(), signParams("session.request", { user: userAddress, key: bytesToHex(publicKeyFromPrivate(user)), spend: 1n, timestamp: Date.now(), bidId }, user)),
    encodeRequest("session.prompt", newRequestId(), signParams("session.prompt", { sessionId, prompt: JSON.stringify(CHAT), timestamp: Date.now() }, user)),
    encodeRequest("session.report", newRequestId(), signParams("session.report", { sessionId, timestamp: Date.now() }, user)),
  ];
}

const METHODS = ["network.ping", "session.request", "session.prompt", "session.report", "agent.get_tools", "agent.call_tool", "session.prompt.stream.start", "session.nope", "", "__proto__", "constructor"];

/** Odd text: lone surrogates, NUL and control characters, escapes and JSON's own syntax. */
const oddText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: fc.constantFrom("\u0000", "\\", '"', "}", "{", "\u2028", "\ud800", "\udfff", "😀", "\u00e9", "<|endoftext|>", "\n"), maxLength: 200 }),
);

/** JSON text of a value that is sometimes huge or deeply nested (as text: too deep for fast-check to hold as a value). */
const wildJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: oddText.map((t) => JSON.stringify(t)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_200_000 }).map((n) => `"${"x".repeat(n)}"`) },
  { weight: 1, arbitrary: fc.constantFrom("1e308", "-0", "9007199254740993", "0.1", "null", "true", "1e999", "-1") },
);

/** Any of: random bytes; a real request cut short; an envelope with wrong or odd values; a real request with one field replaced. */
const hostileRequest: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 4_096 }),
  fc.tuple(fc.nat(3), fc.double({ min: 0, max: 1, noNaN: true })).map(([i, at]) => {
    const text = validRequests()[i];
    return utf8.encode(text.slice(0, Math.floor(text.length * at)));
  }),
  fc
    .tuple(fc.oneof(fc.string().map((t) => JSON.stringify(t)), fc.constantFrom("1", "null", "[]"), oddText.map((t) => JSON.stringify(t))), fc.oneof(fc.constantFrom(...METHODS), oddText), wildJson)
    .map(([id, method, params]) => utf8.encode(`{"id":${id},"method":${JSON.stringify(method)},"params":${params}}`)),
  fc.tuple(fc.nat(3), fc.constantFrom("nonce", "user", "key", "spend", "timestamp", "bidid", "sessionid", "message", "signature"), wildJson).map(([i, field, value]) => {
    const request = JSON.parse(validRequests()[i]) as { params: Record<string, unknown> };
    request.params[field] = "__WILD__";
    return utf8.encode(JSON.stringify(request).replace('"__WILD__"', () => value));
  }),
  fc.tuple(oddText, fc.uint8Array({ maxLength: 64 })).map(([text, tail]) => Buffer.concat([utf8.encode(`{"id":"x","method":"network.ping","params":{"nonce":${JSON.stringify(text)}}}`), tail])),
);

/** Cuts `bytes` into pieces at random offsets: a slow or fragmenting sender. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces.length > 0 ? pieces : [bytes];
}

describe("MOR-RPC server fuzzing", () => {
  it("hostile requests, sent whole or in pieces, get a clean error or a close, never a crash or hang", async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequest, fc.array(fc.nat(), { maxLength: 20 }), async (bytes, offsets) => {
        const reply = await exchange(cut(bytes, offsets));
        if (reply.length > 0) answered++;
        expectCleanReply(reply);
      }),
      { numRuns: RUNS },
    );
    expect(answered).toBeGreaterThan(0); // the node was really reached and answered
    // Still serving: a ping, and a real prompt on a real session.
    await expect(pingProvider(provider.endpoint, devAccounts[PROVIDER].address, consumer)).resolves.toMatchObject({ version: expect.any(String) });
    await expect(collect(promptSession(consumer, session, CHAT))).resolves.toHaveLength(1);
  }, 600_000);

  it("the stream parser finds the same objects however the bytes are split", () => {
    const objects = fc.array(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ v })), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(objects, fc.array(fc.nat(), { maxLength: 30 }), (texts, offsets) => {
        const bytes = utf8.encode(texts.join(" \n"));
        const parser = new JsonObjectStream();
        const out = cut(bytes, offsets).flatMap((piece) => parser.push(piece));
        expect(out.map((t) => JSON.parse(t) as unknown)).toEqual(texts.map((t) => JSON.parse(t) as unknown));
        expect(parser.hasPartialObject).toBe(false);
      }),
      { numRuns: RUNS * 10 },
    );
  });
});

