import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Hash } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import { freePort } from "@/test/support/ports";
import {
  bytesToHex,
  createPrivateKey,
  createSessionResult,
  decodeParams,
  decodeResult,
  encodeError,
  encodeRequest,
  encodeResult,
  infraError,
  JsonObjectStream,
  MorRpcError,
  newPingNonce,
  openPromptResult,
  publicKeyFromPrivate,
  publicKeyToAddress,
  sealPromptResult,
  sendRequest,
  signParams,
  signResult,
  startMorRpcServer,
  verifyPong,
  verifyResult,
  type MorRpcConnection,
  type MorRpcServer,
  type MorRpcServerOptions,
  type RpcRequest,
  type RpcResponse,
} from "./index";

const userKey = createPrivateKey();
const userPub = bytesToHex(publicKeyFromPrivate(userKey));
const user = publicKeyToAddress(userPub);
const providerKey = createPrivateKey();
const providerPub = bytesToHex(publicKeyFromPrivate(providerKey));
const provider = publicKeyToAddress(providerPub);
const bidId = `0x${"12".repeat(32)}` as Hash;
const sessionId = `0x${"34".repeat(32)}` as Hash;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(
  handle: (request: RpcRequest, connection: MorRpcConnection) => Promise<void>,
  extra: Omit<MorRpcServerOptions, "host" | "port" | "handle"> = {},
): Promise<MorRpcServer & { endpoint: string }> {
  const server = await startMorRpcServer({ host: "127.0.0.1", port: 0, handle, onError: () => {}, ...extra });
  cleanups.push(() => server.close(100));
  return Object.assign(server, { endpoint: `127.0.0.1:${server.port}` });
}

/** A bare TCP server for scripting misbehaving providers. */
async function rawServer(onConnection: (socket: net.Socket) => void): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {}); // the client under test may reset the connection
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A bare TCP client: writes `bytes`, returns everything received until the server closes. */
function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const received: Buffer[] = [];
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk) => received.push(chunk));
    socket.on("error", () => {}); // a reset after the reply is fine here
    socket.on("close", () => resolve(Buffer.concat(received).toString("utf8")));
  });
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function collect(responses: AsyncGenerator<RpcResponse>): Promise<RpcResponse[]> {
  const out: RpcResponse[] = [];
  for await (const response of responses) out.push(response);
  return out;
}

function pingRequest(id = "0"): string {
  return encodeRequest("network.ping", id, signParams("network.ping", { nonce: newPingNonce() }, userKey));
}

const pong = (id: string) => encodeResult("network.ping", id, signResult("network.ping", { nonce: "0x0102", version: "ts" }, providerKey));

describe("MOR-RPC transport: round trips", () => {
  it("carries every message kind through a real socket", async () => {
    const server = await serve(async (request, connection) => {
      switch (request.method) {
        case "network.ping": {
          const { nonce } = decodeParams("network.ping", request.params);
          await connection.send(encodeResult("network.ping", request.id, signResult("network.ping", { nonce, version: "v5.0.0-ts" }, providerKey)));
          return;
        }
        case "session.request": {
          const params = decodeParams("session.request", request.params);
          const result = createSessionResult({ bidId: params.bidId, chainId: 31337n, user: params.user, timestamp: BigInt(params.timestamp) }, providerKey);
          await connection.send(encodeResult("session.request", request.id, result));
          return;
        }
        case "session.prompt": {
          decodeParams("session.prompt", request.params);
          for (const chunk of ['{"choices":[{"delta":{"content":"hel"}}]}', '{"choices":[{"delta":{"content":"lo"}}]}', '"[DONE]"']) {
            await connection.send(encodeResult("session.prompt", request.id, sealPromptResult(chunk, userPub, providerKey)));
          }
          return;
        }
        case "session.report": {
          const result = signResult("session.report", { report: "0x1234", signedReport: "0x5678", timestamp: Date.now() }, providerKey);
          await connection.send(encodeResult("session.report", request.id, result));
          return;
        }
        default:
          await connection.send(encodeError(request.id, infraError(`unknown method: unknown method: ${request.method}`)));
      }
    });

    const nonce = newPingNonce();
    const ping = encodeRequest("network.ping", "0", signParams("network.ping", { nonce }, userKey));
    const [pongResponse, ...restPing] = await collect(sendRequest(server.endpoint, ping));
    expect(restPing).toEqual([]);
    expect(pongResponse.id).toBe("0");
    const pongResult = decodeResult("network.ping", pongResponse.result);
    expect(pongResult.nonce).toBe(nonce);
    expect(verifyPong(pongResult, provider)).toBe(true);

    const timestamp = Date.now();
    const sessionReq = encodeRequest("session.request", "a1b2c3d4", signParams("session.request", { user, key: userPub, spend: 5n, timestamp, bidId }, userKey));
    const [sessionResponse] = await collect(sendRequest(server.endpoint, sessionReq));
    expect(sessionResponse.id).toBe("a1b2c3d4");
    const sessionResult = decodeResult("session.request", sessionResponse.result);
    expect(verifyResult("session.request", sessionResult, sessionResult.providerPubKey)).toBe(true);
    expect(sessionResult.user).toBe(user.toLowerCase());

    const prompt = encodeRequest(
      "session.prompt",
      "feedbeef",
      signParams("session.prompt", { sessionId, prompt: '{"messages":[{"role":"user","content":"hi"}],"stream":true}', timestamp }, userKey),
    );
    const chunks = await collect(sendRequest(server.endpoint, prompt));
    expect(chunks.map((c) => c.id)).toEqual(["feedbeef", "feedbeef", "feedbeef"]);
    const plaintexts = chunks.map((c) => openPromptResult(decodeResult("session.prompt", c.result), providerPub, userKey));
    expect(plaintexts).toEqual(['{"choices":[{"delta":{"content":"hel"}}]}', '{"choices":[{"delta":{"content":"lo"}}]}', '"[DONE]"']);

    const report = encodeRequest("session.report", "r1", signParams("session.report", { sessionId, timestamp }, userKey));
    const [reportResponse] = await collect(sendRequest(server.endpoint, report));
    const reportResult = decodeResult("session.report", reportResponse.result);
    expect(verifyResult("session.report", reportResult, providerPub)).toBe(true);
    expect(reportResult.report).toBe("0x1234");

    const unknown = '{"id":"u1","method":"session.close","params":{}}';
    const [errorResponse] = await collect(sendRequest(server.endpoint, unknown));
    expect(errorResponse).toMatchObject({ id: "u1", result: null, error: { message: "unknown method: unknown method: session.close", code: 400 } });
    expect(errorResponse.error?.data.signature).toBe("0x00");
  });

  it("sends the request in one write with no newline and does not half-close", async () => {
    const request = pingRequest("7");
    let received = "";
    let providerSide: net.Socket | undefined;
    let providerClosed = false;
    // Any end() (a FIN) on the consumer's socket before the provider closed is a half-close: seen
    // at the call, not raced against the packet.
    const halfCloses: unknown[] = [];
    const end = net.Socket.prototype.end;
    const spy = vi.spyOn(net.Socket.prototype, "end").mockImplementation(function (this: net.Socket, ...args: unknown[]) {
      if (this !== providerSide && !providerClosed) halfCloses.push(this);
      return (end as (...a: unknown[]) => net.Socket).apply(this, args);
    });
    try {
      const endpoint = await rawServer((socket) => {
        providerSide = socket;
        socket.on("data", (chunk) => {
          received += chunk.toString("utf8");
          if (received.length < request.length) return;
          providerClosed = true;
          socket.end(pong("7"));
        });
      });
      const responses = await collect(sendRequest(endpoint, request));
      expect(received).toBe(request);
      expect(halfCloses).toEqual([]); // no FIN from the client before the provider closed
      expect(responses.map((r) => r.id)).toEqual(["7"]);
    } finally {
      spy.mockRestore();
    }
  });

  it("reassembles a streamed response split and merged across TCP writes", async () => {
    const objects = Array.from({ length: 6 }, (_, i) =>
      encodeResult("session.prompt", "s1", { ciphertext: `${"ab".repeat(20 + i)}`, signature: `0x${"11".repeat(65)}`, timestamp: i + 1 }),
    );
    const bytes = Buffer.from(`${objects[0]}\n${objects.slice(1).join("")}`, "utf8");
    const cuts = [1, 17, objects[0].length + 1, objects[0].length + 5, bytes.length - 3, bytes.length];
    const endpoint = await rawServer((socket) => {
      socket.once("data", async () => {
        let prev = 0;
        for (const cut of cuts) {
          socket.write(bytes.subarray(prev, cut));
          prev = cut;
          await sleep(5); // separate TCP segments (noDelay is on for the server socket)
        }
        socket.end();
      });
      socket.setNoDelay(true);
    });
    const responses = await collect(sendRequest(endpoint, pingRequest("s1")));
    expect(responses.map((r) => decodeResult("session.prompt", r.result).timestamp)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("MOR-RPC transport: client failures", () => {
  it("a provider that dies in the middle of an object is an error, not a clean end", async () => {
    const endpoint = await rawServer((socket) => {
      socket.once("data", () => {
        socket.write(pong("0"));
        socket.end('{"id":"0","result":{"message":"abc');
      });
    });
    const seen: RpcResponse[] = [];
    const error = await (async () => {
      for await (const response of sendRequest(endpoint, pingRequest())) seen.push(response);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1); // the complete object before the cut is still delivered
    expect(error).toBeInstanceOf(MorRpcError);
    expect(error).toMatchObject({ code: "connection_closed", message: expect.stringMatching(/middle of a response/) });
  });

  it("a provider that closes without replying is an error", async () => {
    const endpoint = await rawServer((socket) => socket.once("data", () => socket.end()));
    await expect(collect(sendRequest(endpoint, pingRequest()))).rejects.toMatchObject({
      code: "connection_closed",
      message: expect.stringMatching(/without a response/),
    });
  });

  it("a provider that resets the connection is an error", async () => {
    const endpoint = await rawServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    await expect(collect(sendRequest(endpoint, pingRequest()))).rejects.toMatchObject({ code: "connection_closed" });
  });

  it("dialing a closed port fails with dial_failed", async () => {
    const port = await freePort();
    await expect(collect(sendRequest(`127.0.0.1:${port}`, pingRequest()))).rejects.toMatchObject({ code: "dial_failed" });
  });

  it("refuses an endpoint that is not host:port", async () => {
    await expect(collect(sendRequest("http://example.com", pingRequest()))).rejects.toMatchObject({ code: "dial_failed" });
    await expect(collect(sendRequest("example.com", pingRequest()))).rejects.toMatchObject({ code: "dial_failed" });
  });

  it("times out waiting for the first byte", async () => {
    const endpoint = await rawServer(() => {}); // accepts and never answers
    await expect(collect(sendRequest(endpoint, pingRequest(), { timeouts: { firstByteMs: 150 } }))).rejects.toMatchObject({
      code: "timeout",
      message: expect.stringMatching(/^first response timeout/),
    });
  });

  it("times out when the provider stalls between chunks", async () => {
    const endpoint = await rawServer((socket) => socket.once("data", () => socket.write(pong("0"))));
    const seen: RpcResponse[] = [];
    const error = await (async () => {
      const responses = sendRequest(endpoint, pingRequest(), { timeouts: { firstByteMs: 5_000, idleMs: 150 } });
      for await (const response of responses) seen.push(response);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ code: "timeout", message: expect.stringMatching(/^idle timeout/) });
  });

  it("aborts through the signal, before and during the exchange", async () => {
    const endpoint = await rawServer((socket) => socket.once("data", () => socket.write(pong("0"))));
    const controller = new AbortController();
    const responses = sendRequest(endpoint, pingRequest(), { signal: controller.signal });
    const first = await responses.next();
    expect(first.done).toBe(false);
    setTimeout(() => controller.abort(), 20);
    await expect(responses.next()).rejects.toMatchObject({ code: "aborted" });

    await expect(collect(sendRequest(endpoint, pingRequest(), { signal: AbortSignal.abort() }))).rejects.toMatchObject({
      code: "aborted",
    });
  });

  it("refuses garbage and oversized responses", async () => {
    const garbage = await rawServer((socket) => socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n")));
    await expect(collect(sendRequest(garbage, pingRequest()))).rejects.toMatchObject({ code: "stream_violation" });
    const badJson = await rawServer((socket) => socket.once("data", () => socket.end('{"id":"0",}')));
    await expect(collect(sendRequest(badJson, pingRequest()))).rejects.toMatchObject({ code: "invalid_json" });
    const huge = await rawServer((socket) => socket.once("data", () => socket.end(`{"id":"0","result":"${"x".repeat(4096)}"}`)));
    await expect(collect(sendRequest(huge, pingRequest(), { maxObjectBytes: 1024 }))).rejects.toMatchObject({ code: "message_too_large" });
  });

  it("closes the connection when the consumer stops early, which aborts the provider's handler", async () => {
    let handlerSignal: AbortSignal | undefined;
    let sendFailure: unknown;
    const handlerDone = deferred();
    const server = await serve(async (request, connection) => {
      handlerSignal = connection.signal;
      try {
        for (let i = 0; ; i++) {
          await connection.send(encodeResult("session.prompt", request.id, { ciphertext: "00", signature: "0x01", timestamp: i + 1 }));
          await sleep(5);
        }
      } catch (error) {
        sendFailure = error;
      } finally {
        handlerDone.resolve();
      }
    });
    for await (const response of sendRequest(server.endpoint, pingRequest("x"))) {
      if (decodeResult("session.prompt", response.result).timestamp === 2) break;
    }
    await handlerDone.promise;
    expect(handlerSignal?.aborted).toBe(true);
    expect(sendFailure).toMatchObject({ code: "connection_closed" });
  });
});

describe("MOR-RPC transport: server robustness", () => {
  const badRequests: [string, string | Buffer][] = [
    ["garbage bytes", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["invalid JSON", '{"id":"1","method":}'],
    ["a numeric id", '{"id":1,"method":"network.ping","params":{}}'],
    ["binary noise", Buffer.from([0xff, 0x00, 0x7b, 0x22])],
  ];

  it.each(badRequests)("answers %s with one infrastructure error, closes, and keeps serving", async (_name, bytes) => {
    let handled = 0;
    const server = await serve(async (request, connection) => {
      handled++;
      await connection.send(pong(request.id));
    });
    const reply = await rawExchange(server.port, bytes);
    const parsed = JSON.parse(reply) as RpcResponse;
    expect(parsed).toMatchObject({ id: "", result: null, error: { code: 400, data: { signature: "0x00" } } });
    expect(parsed.error?.message).toMatch(/^failed to unmarshal request: /);
    expect(handled).toBe(0);
    expect((await collect(sendRequest(server.endpoint, pingRequest("ok")))).map((r) => r.id)).toEqual(["ok"]);
  });

  it("refuses an oversized request without buffering it all, and keeps serving", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { maxRequestBytes: 1024 });
    const huge = `{"id":"1","method":"session.prompt","params":{"message":"${"x".repeat(64 * 1024)}"}}`;
    const reply = await rawExchange(server.port, huge);
    // The reply may be lost to a reset if the client is still writing; either way the socket closes.
    if (reply) expect(JSON.parse(reply)).toMatchObject({ error: { message: expect.stringMatching(/exceeds 1024 bytes/) } });
    expect((await collect(sendRequest(server.endpoint, pingRequest("ok")))).map((r) => r.id)).toEqual(["ok"]);
  });

  it("ignores bytes after the first object", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)));
    const reply = await rawExchange(server.port, `${pingRequest("first")}${pingRequest("second")} trailing garbage`);
    expect(JSON.parse(reply)).toMatchObject({ id: "first" });
  });

  it("survives clients that disconnect early or never finish a request", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { readTimeoutMs: 150 });
    const early = net.connect({ host: "127.0.0.1", port: server.port });
    await new Promise((resolve) => early.once("connect", resolve));
    early.write('{"id":"1","meth');
    early.destroy();

    const slow = net.connect({ host: "127.0.0.1", port: server.port });
    slow.write('{"id":"2"');
    const closed = await new Promise<string>((resolve) => {
      let data = "";
      slow.on("data", (chunk) => (data += chunk.toString()));
      slow.on("error", () => {});
      slow.on("close", () => resolve(data));
    });
    expect(closed).toBe(""); // closed by the read timeout, no reply
    expect((await collect(sendRequest(server.endpoint, pingRequest("ok")))).map((r) => r.id)).toEqual(["ok"]);
  });

  it("closes a client that trickles its request past the read deadline", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { readTimeoutMs: 200 });
    const trickler = net.connect({ host: "127.0.0.1", port: server.port });
    trickler.on("error", () => {});
    const closed = new Promise((resolve) => trickler.on("close", resolve));
    const drip = setInterval(() => trickler.write(" "), 40);
    trickler.write('{"id":"t"');
    await closed;
    clearInterval(drip);
    expect((await collect(sendRequest(server.endpoint, pingRequest("ok")))).map((r) => r.id)).toEqual(["ok"]);
  });

  it("turns a handler failure into an infrastructure error and reports it", async () => {
    const errors: unknown[] = [];
    const server = await serve(
      async (request, connection) => {
        if (request.id === "late") await connection.send(pong(request.id));
        throw new Error("failed to prompt: upstream down");
      },
      { onError: (error) => errors.push(error) },
    );
    const [reply] = await collect(sendRequest(server.endpoint, pingRequest("early")));
    expect(reply).toMatchObject({ id: "early", result: null, error: { message: "failed to prompt: upstream down", code: 400 } });
    // After something was sent, a failure just closes the connection.
    expect((await collect(sendRequest(server.endpoint, pingRequest("late")))).map((r) => r.id)).toEqual(["late"]);
    expect(errors).toHaveLength(2);
  });

  it("a handler's send fails with connection_closed once the peer has gone", async () => {
    const outcome = deferred<unknown>();
    const handling = deferred();
    const server = await serve(async (_request, connection) => {
      handling.resolve();
      await new Promise((resolve) => connection.signal.addEventListener("abort", resolve));
      outcome.resolve(await connection.send(pong("x")).catch((e: unknown) => e));
    });
    const client = net.connect({ host: "127.0.0.1", port: server.port });
    client.on("error", () => {});
    client.write(pingRequest());
    await handling.promise; // the server has the request: leaving now is leaving mid-handler
    client.destroy();
    expect(await outcome.promise).toMatchObject({ code: "connection_closed" });
  });
});

describe("MOR-RPC transport: server shutdown", () => {
  it("close() waits for an in-flight handler, whose reply still arrives", async () => {
    const started = deferred();
    const finish = deferred();
    const server = await startMorRpcServer({
      host: "127.0.0.1",
      port: 0,
      handle: async (request, connection) => {
        started.resolve();
        await finish.promise;
        await connection.send(pong(request.id));
      },
    });
    const responses = collect(sendRequest(`127.0.0.1:${server.port}`, pingRequest("slow")));
    await started.promise;
    const closed = server.close(5_000);
    finish.resolve(); // the handler answers only once close() is already under way
    await closed;
    expect((await responses).map((r) => r.id)).toEqual(["slow"]);
    await expect(collect(sendRequest(`127.0.0.1:${server.port}`, pingRequest()))).rejects.toMatchObject({ code: "dial_failed" });
  });

  it("after the grace period, close() aborts hung handlers and drops their connections", async () => {
    const started = deferred();
    let handlerSignal: AbortSignal | undefined;
    const server = await startMorRpcServer({
      host: "127.0.0.1",
      port: 0,
      handle: async (_request, connection) => {
        handlerSignal = connection.signal;
        started.resolve();
        await new Promise((resolve) => connection.signal.addEventListener("abort", resolve));
      },
    });
    const responses = collect(sendRequest(`127.0.0.1:${server.port}`, pingRequest()));
    await started.promise;
    await server.close(100);
    expect(handlerSignal?.aborted).toBe(true);
    await expect(responses).rejects.toMatchObject({ code: "connection_closed" });
  });
});

/** Retries `check` until it stops throwing (for effects a server picks up on its next event). */
async function eventually<T>(check: () => Promise<T>, tries = 100): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await check();
    } catch (error) {
      if (i >= tries) throw error;
      await sleep(20);
    }
  }
}

/** A connection that has sent the start of a request and waits; resolves once connected. */
async function holder(port: number, bytes = "{"): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(bytes);
  return socket;
}

describe("MOR-RPC transport: hostile consumers (issue 10)", () => {
  it("'{\"a\":\"' then 256 KiB of '}' is scanned once per read into one buffer, not parsed once per '}'", async () => {
    const push = vi.spyOn(JsonObjectStream.prototype, "push");
    try {
      const server = await serve(async (request, connection) => connection.send(pong(request.id)));
      const padding = "}".repeat(256 * 1024);
      const reply = await rawExchange(server.port, `{"id":"pad","method":"network.ping","params":{},"pad":"${padding}"}`);
      expect(JSON.parse(reply)).toMatchObject({ id: "pad" });
      // One call per TCP read (a few dozen here); the old reader made one per '}' (262,144), each
      // keeping its own copy of the fragment: ~8.4 M objects for 8 MiB.
      expect(push.mock.calls.length).toBeLessThan(1_000);
    } finally {
      push.mockRestore();
    }
  });

  it("refuses a request over the 1 MiB default without reading it all", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)));
    const reply = await rawExchange(server.port, `{"id":"big","method":"network.ping","params":{},"pad":"${"x".repeat(1024 * 1024)}"}`);
    if (reply) expect(JSON.parse(reply)).toMatchObject({ error: { message: expect.stringMatching(/exceeds 1048576 bytes/) } });
    expect((await collect(sendRequest(server.endpoint, pingRequest("ok")))).map((r) => r.id)).toEqual(["ok"]);
  });

  it("caps connections from one address; a freed slot serves again", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { maxConnectionsPerAddress: 2 });
    const held = [await holder(server.port), await holder(server.port)];
    expect(JSON.parse(await rawExchange(server.port, pingRequest("third")))).toMatchObject({
      id: "",
      result: null,
      error: { message: "no capacity: too many connections from your address", data: { signature: "0x00" } },
    });
    held[0].destroy();
    await eventually(async () => expect((await collect(sendRequest(server.endpoint, pingRequest("again")))).map((r) => r.id)).toEqual(["again"]));
    held[1].destroy();
  });

  it("caps connections in total", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { maxConnections: 3 });
    const held = await Promise.all([holder(server.port), holder(server.port), holder(server.port)]);
    expect(JSON.parse(await rawExchange(server.port, pingRequest("fourth")))).toMatchObject({ error: { message: "no capacity: too many connections" } });
    for (const socket of held) socket.destroy();
    await eventually(async () => expect((await collect(sendRequest(server.endpoint, pingRequest("again")))).map((r) => r.id)).toEqual(["again"]));
  });

  it("a flood of refused connections that never close: at most 256 are kept to read their refusal, the rest are dropped at once", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { maxConnections: 1 });
    const held = await holder(server.port);
    const flood: net.Socket[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, () =>
        new Promise<"refusal" | "silent close">((resolve) => {
          // allowHalfOpen: the peer keeps its side open after the server's FIN, as a flooder would.
          const socket = net.connect({ host: "127.0.0.1", port: server.port, allowHalfOpen: true });
          flood.push(socket);
          socket.on("error", () => {});
          let data = "";
          socket.on("data", (chunk) => (data += chunk.toString()));
          socket.on("end", () => resolve(data ? "refusal" : "silent close"));
          socket.on("close", () => resolve(data ? "refusal" : "silent close"));
        }),
      ),
    );
    for (const socket of flood) socket.destroy();
    expect(outcomes.filter((o) => o === "refusal").length).toBeLessThanOrEqual(256);
    expect(outcomes.filter((o) => o === "silent close").length).toBeGreaterThanOrEqual(300 - 256);
    held.destroy();
    await eventually(async () => expect((await collect(sendRequest(server.endpoint, pingRequest("after")))).map((r) => r.id)).toEqual(["after"]));
  });

  it("bounds the bytes of unfinished requests held server-wide", async () => {
    const server = await serve(async (request, connection) => connection.send(pong(request.id)), { maxBufferedBytes: 64 * 1024 });
    const start = (id: string) => `{"id":"${id}","method":"network.ping","params":{"nonce":"0x01"},"pad":"${"x".repeat(40 * 1024)}`;
    const replies = new Map<string, Promise<string>>();
    const sockets = new Map<string, net.Socket>();
    for (const id of ["a", "b"]) {
      const socket = await holder(server.port, start(id));
      let data = "";
      socket.on("data", (chunk) => (data += chunk.toString()));
      replies.set(id, new Promise((resolve) => socket.on("close", () => resolve(data))));
      sockets.set(id, socket);
    }
    // Whichever arrived second does not fit: it is refused and closed; the other one still completes.
    const [refusedId, reply] = await Promise.race([...replies].map(async ([id, p]) => [id, await p] as const));
    expect(JSON.parse(reply)).toMatchObject({ error: { message: "no capacity: too many requests in progress" } });
    const otherId = refusedId === "a" ? "b" : "a";
    sockets.get(otherId)!.write('"}');
    sockets.get(otherId)!.on("data", () => sockets.get(otherId)!.destroy());
    expect(JSON.parse(await replies.get(otherId)!)).toMatchObject({ id: otherId, result: { nonce: "0x0102" } });
  });

  it("a consumer that stops reading cannot hold a handler: its send fails after the write timeout", async () => {
    const outcome = deferred<unknown>();
    const server = await serve(
      async (request, connection) => {
        const big = `{"id":"${request.id}","result":{"pad":"${"x".repeat(4 * 1024 * 1024)}"}}`;
        try {
          for (let i = 0; i < 1_000; i++) await connection.send(big);
          outcome.resolve("all sent");
        } catch (error) {
          outcome.resolve(error);
        }
      },
      { writeTimeoutMs: 200 },
    );
    const reader = net.connect({ host: "127.0.0.1", port: server.port });
    reader.on("error", () => {});
    reader.pause(); // never reads
    reader.write(pingRequest("stuck"));
    expect(await outcome.promise).toMatchObject({ code: "timeout", message: expect.stringMatching(/^writing to .* timed out after 200 ms/) });
    reader.destroy();
  }, 15_000);
});

describe("MOR-RPC transport: hostile providers (issue 10)", () => {
  /** A provider that answers the request with `first` (if any) and then writes `drip` every 10 ms, at most `max` times. */
  async function trickler(drip: string, { first = "", max = 200 } = {}) {
    const sent = { drips: 0 };
    const endpoint = await rawServer((socket) =>
      socket.once("data", () => {
        if (first) socket.write(first);
        const timer = setInterval(() => {
          if (socket.destroyed || sent.drips >= max) {
            clearInterval(timer);
            if (!socket.destroyed) socket.end();
            return;
          }
          socket.write(drip);
          sent.drips++;
        }, 10);
        socket.on("close", () => clearInterval(timer));
      }),
    );
    return { endpoint, sent };
  }

  it("a space every 10 ms before any response does not keep the call alive", async () => {
    const { endpoint, sent } = await trickler(" ");
    const error = await collect(sendRequest(endpoint, pingRequest(), { timeouts: { firstByteMs: 150, idleMs: 150 } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "timeout", message: expect.stringMatching(/^first response timeout/) });
    expect(sent.drips).toBeLessThan(200);
  });

  it("nor a space every 10 ms inside a response after the first one", async () => {
    const { endpoint, sent } = await trickler(" ", { first: `${pong("0")}{"id":"0","result":` });
    const seen: RpcResponse[] = [];
    const error = await (async () => {
      for await (const response of sendRequest(endpoint, pingRequest(), { timeouts: { firstByteMs: 5_000, idleMs: 150 } })) seen.push(response);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ code: "timeout", message: expect.stringMatching(/^idle timeout/) });
    expect(sent.drips).toBeLessThan(200);
  });

  it("real progress forever still ends at the call's absolute deadline", async () => {
    const { endpoint, sent } = await trickler(pong("0"), { max: 500 });
    const seen: RpcResponse[] = [];
    const error = await (async () => {
      for await (const response of sendRequest(endpoint, pingRequest(), { timeouts: { totalMs: 300 } })) seen.push(response);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "timeout", message: expect.stringMatching(/^total timeout/) });
    expect(sent.drips).toBeLessThan(500);
    expect(seen.length).toBeGreaterThan(0);
  });

  it("bounds what a fast provider makes a slow consumer hold: reading stops at the queued-bytes limit", async () => {
    const object = `{"id":"0","result":{"pad":"${"x".repeat(8 * 1024)}"}}`;
    const flushed = deferred();
    const endpoint = await rawServer((socket) => socket.once("data", () => socket.end(object.repeat(40), () => flushed.resolve())));
    const push = vi.spyOn(JsonObjectStream.prototype, "push");
    try {
      const responses = sendRequest(endpoint, pingRequest(), { maxQueuedBytes: 16 * 1024 });
      expect((await responses.next()).done).toBe(false); // then the consumer takes nothing more for a while
      await flushed.promise; // everything is in the kernel's buffers: only the client's own limit stops it reading
      await sleep(100);
      const read = push.mock.calls.reduce((n, [chunk]) => n + chunk.length, 0);
      expect(read).toBeLessThan(16 * 1024 + 64 * 1024 + object.length); // limit + one read; the old client took all 40 objects
      expect((await collect(responses)).length).toBe(39); // and resumes to the end once the consumer reads again
    } finally {
      push.mockRestore();
    }
  });

  it("refuses a response object over the 16 MiB default", async () => {
    const huge = await rawServer((socket) => socket.once("data", () => socket.end(`{"id":"0","result":"${"x".repeat(17 * 1024 * 1024)}"}`)));
    await expect(collect(sendRequest(huge, pingRequest()))).rejects.toMatchObject({ code: "message_too_large" });
  });
});
