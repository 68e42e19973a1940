// The consumer client against a real MOR-RPC server that misbehaves in ways only a provider can.
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pingProvider, promptProvider, requestSessionApproval } from "./client";
import { MorRpcError } from "./errors";
import { decodeParams, encodeError, encodeResult, type RpcRequest } from "./envelope";
import { bytesToHex } from "./json";
import { createSessionResult, infraError, sealPromptResult, signResult } from "./messages";
import { createPrivateKey, publicKeyFromPrivate } from "./secp";
import { publicKeyToAddress } from "./signing";
import { startMorRpcServer, type MorRpcServer } from "./transport";

const userKey = createPrivateKey();
const userPub = bytesToHex(publicKeyFromPrivate(userKey));
const providerKey = createPrivateKey();
const providerPubKey = bytesToHex(publicKeyFromPrivate(providerKey));
const sessionId = `0x${"34".repeat(32)}` as const;

const servers: MorRpcServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close(100);
  for (const close of closers.splice(0)) await close();
});

/** A provider that answers every prompt with these plaintexts, each sealed and signed as a real one would be. */
async function providerReplying(plaintexts: string[]): Promise<string> {
  const server = await startMorRpcServer({
    host: "127.0.0.1",
    port: 0,
    onError: () => {},
    handle: async (request, connection) => {
      for (const plaintext of plaintexts) await connection.send(encodeResult("session.prompt", request.id, sealPromptResult(plaintext, userPub, providerKey)));
    },
  });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

async function prompt(endpoint: string, stream: boolean) {
  const replies = [];
  for await (const reply of promptProvider(endpoint, { sessionId, request: { messages: [], stream }, providerPubKey }, { privateKey: userKey })) replies.push(reply);
  return replies;
}

describe("promptProvider", () => {
  it("a correctly signed reply whose plaintext is not JSON is a protocol error (invalid_json), not a SyntaxError", async () => {
    for (const stream of [false, true]) {
      const endpoint = await providerReplying(stream ? ['{"choices":[]}', "<html>502 Bad Gateway</html>"] : ["not json at all"]);
      const error = await prompt(endpoint, stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MorRpcError);
      expect(error).toMatchObject({ code: "invalid_json", message: expect.stringMatching(/^the provider's reply is not JSON/) });
    }
  });

  it("decrypts JSON replies up to [DONE]", async () => {
    const endpoint = await providerReplying(['{"choices":[{"delta":{"content":"hi"}}]}', '"[DONE]"']);
    expect(await prompt(endpoint, true)).toEqual([{ done: false, data: { choices: [{ delta: { content: "hi" } }] } }, { done: true }]);
  });
});

/** A provider that answers every request with these wire objects, in order, then closes. */
async function providerSending(objects: (requestId: string, request: RpcRequest) => string[]): Promise<string> {
  const server = await startMorRpcServer({
    host: "127.0.0.1",
    port: 0,
    onError: () => {},
    handle: async (request, connection) => {
      for (const object of objects(request.id, request)) await connection.send(object);
    },
  });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

const sealed = (id: string, plaintext: string) => encodeResult("session.prompt", id, sealPromptResult(plaintext, userPub, providerKey));
const chunk = (content: string, finish: string | null = null) => JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

describe("promptProvider with Go-shaped providers (issue 12)", () => {
  it("a stream that ends without [DONE] after its final chunk (Go's claudeai adapter) is complete", async () => {
    const endpoint = await providerSending((id) => [sealed(id, chunk("Hel")), sealed(id, chunk("lo", "stop"))]);
    expect(await prompt(endpoint, true)).toEqual([
      { done: false, data: JSON.parse(chunk("Hel")) },
      { done: false, data: JSON.parse(chunk("lo", "stop")) },
      { done: true },
    ]);
  });

  it("a stream cut before any end (no finish_reason, no [DONE]) is still an error", async () => {
    const endpoint = await providerSending((id) => [sealed(id, chunk("Hel")), sealed(id, chunk("l"))]);
    await expect(prompt(endpoint, true)).rejects.toMatchObject({ code: "connection_closed", message: expect.stringMatching(/closed the stream before its end$/) });
  });

  it("a non-streamed prompt reads every reply: an error after the first one is not lost", async () => {
    const completion = JSON.stringify({ object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }] });
    const endpoint = await providerSending((id) => [sealed(id, completion), encodeError(id, infraError("failed to prompt: upstream reset"))]);
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const reply of promptProvider(endpoint, { sessionId, request: { messages: [] }, providerPubKey }, { privateKey: userKey })) seen.push(reply);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ code: "provider_error", message: "failed to prompt: upstream reset" });
  });

  it("an error with an empty signature is an unsigned, plain-text error (as the Go consumer reads it)", async () => {
    // Go reads "", a missing signature and a missing data object alike: a nil signature.
    for (const data of ['{"timestamp":1,"signature":""}', '{"timestamp":1}', "null"]) {
      const endpoint = await providerSending((id) => [`{"id":"${id}","result":null,"error":{"message":"no capacity","code":400,"data":${data}}}`]);
      await expect(prompt(endpoint, false)).rejects.toMatchObject({ code: "provider_error", message: "no capacity" });
    }
  });

  it("a prompt has an absolute deadline per call, whatever the provider keeps sending", async () => {
    const server = await startMorRpcServer({
      host: "127.0.0.1",
      port: 0,
      onError: () => {},
      handle: async (request, connection) => {
        for (let i = 0; i < 500 && !connection.signal.aborted; i++) {
          await connection.send(sealed(request.id, chunk("x")));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      },
    });
    servers.push(server);
    const replies: unknown[] = [];
    const error = await (async () => {
      const stream = promptProvider(`127.0.0.1:${server.port}`, { sessionId, request: { messages: [], stream: true }, providerPubKey }, { privateKey: userKey }, { timeouts: { totalMs: 300 } });
      for await (const reply of stream) replies.push(reply);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "timeout", message: expect.stringMatching(/^total timeout/) });
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBeLessThan(500);
  });
});

describe("requestSessionApproval (issue 10)", () => {
  const bidId = `0x${"12".repeat(32)}` as const;
  const user = publicKeyToAddress(userPub);

  it("refuses a provider public key that is not the approval signer's key", async () => {
    const otherKey = createPrivateKey();
    const endpoint = await providerSending((id, request) => {
      const params = decodeParams("session.request", request.params);
      // Approval signed by the provider, but the reply (and so every later reply) vouched for by another key.
      const genuine = createSessionResult({ bidId, chainId: 31337n, user: params.user, timestamp: 1n }, providerKey);
      const swapped = signResult(
        "session.request",
        { providerPubKey: bytesToHex(publicKeyFromPrivate(otherKey)), approval: genuine.approval, approvalSig: genuine.approvalSig, user: genuine.user, timestamp: genuine.timestamp },
        otherKey,
      );
      return [encodeResult("session.request", id, swapped)];
    });
    await expect(requestSessionApproval(endpoint, { bidId, chainId: 31337n, spend: 1n }, { privateKey: userKey })).rejects.toMatchObject({
      code: "invalid_signature",
      message: expect.stringMatching(/^the provider's public key is not the key of the approval's signer/),
    });
  });

  it("accepts the provider's own key", async () => {
    const endpoint = await providerSending((id) => [encodeResult("session.request", id, createSessionResult({ bidId, chainId: 31337n, user, timestamp: 1n }, providerKey))]);
    const approval = await requestSessionApproval(endpoint, { bidId, chainId: 31337n, spend: 1n }, { privateKey: userKey });
    expect(approval.approvalSigner).toBe(publicKeyToAddress(providerPubKey));
  });
});

describe("one-shot calls (issue 10)", () => {
  it("ping, session.request and session.report end within 30 s whatever the caller's timeouts", async () => {
    let resolveEndpoint!: (endpoint: string) => void;
    const started = { promise: new Promise<string>((resolve) => (resolveEndpoint = resolve)), resolve: (e: string) => resolveEndpoint(e) };
    const received = new Promise<void>((resolve) => {
      const server = net.createServer((socket) => socket.once("data", () => resolve())); // reads the request, never answers
      void new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening)).then(() => {
        started.resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
      });
      closers.push(() => new Promise((done) => server.close(() => done())));
    });
    const endpoint = await started.promise;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const hour = 3_600_000;
      let outcome: unknown = "pending";
      pingProvider(endpoint, publicKeyToAddress(providerPubKey), { privateKey: userKey }, { timeouts: { dialMs: hour, firstByteMs: hour, idleMs: hour, totalMs: hour } }).then(
        () => (outcome = "answered"),
        (error: unknown) => (outcome = error),
      );
      await received;
      vi.advanceTimersByTime(30_001);
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(outcome).toMatchObject({ code: "timeout", message: expect.stringMatching(/^total timeout: .* within 30000 ms$/) });
    } finally {
      vi.useRealTimers();
    }
  });
});
