// MOR-RPC over plain TCP (spec §1): one request per connection, no framing. The consumer writes
// one JSON object and does not half-close; the provider writes back-to-back response objects
// and then closes. Mirrors proxy-router proxy_sender.go (client) and tcphandlers/tcp.go (server).
import net from "node:net";
import { setImmediate as setImmediatePromise } from "node:timers/promises";
import { ENDPOINT_FORMAT, parseEndpoint } from "./endpoint";
import { encodeError, parseRequest, parseResponse, type RpcRequest, type RpcResponse } from "./envelope";
import { MorRpcError } from "./errors";
import { infraError } from "./messages";
import { JsonObjectStream } from "./stream-parser";

export interface MorRpcTimeouts {
  /** Until the TCP connection is established (Go: 3 s). */
  dialMs: number;
  /** From sending the request until the first complete response object (Go: CNODE_PNODE_TIMEOUT, 90 s). */
  firstByteMs: number;
  /** The longest gap between complete response objects after the first one. */
  idleMs: number;
  /**
   * The whole call, from dialing to the provider's close: an absolute deadline that no amount of
   * trickled bytes extends. The one-shot calls (ping, session.request, session.report) cap it at
   * 30 s; a prompt's limit is the caller's.
   */
  totalMs: number;
}

export const DEFAULT_MORRPC_TIMEOUTS: Readonly<MorRpcTimeouts> = { dialMs: 3_000, firstByteMs: 90_000, idleMs: 90_000, totalMs: 15 * 60_000 };

/** Both Go peers set a 10 s TCP keep-alive period. */
const KEEP_ALIVE_MS = 10_000;
/** Responses parsed but not yet consumed before the client stops reading from the socket… */
const MAX_QUEUED_RESPONSES = 64;
/** …or their bytes: with the object being parsed, what one provider can make a consumer hold. */
const MAX_QUEUED_RESPONSE_BYTES = 16 * 1024 * 1024;
/** After the server ends a connection, how long the peer gets to read the rest and close. */
const CLOSE_LINGER_MS = 2_000;
/** A prompt is JSON text of an OpenAI request: 1 MiB is plenty, and bounds what a stranger makes us hold. */
const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
const DEFAULT_READ_TIMEOUT_MS = 30_000;
const DEFAULT_WRITE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONNECTIONS = 1024;
const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 32;
/** Bytes of unfinished requests held across all connections. */
const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
const DEFAULT_CLOSE_GRACE_MS = 10_000;

/**
 * Lets the event loop run other connections' I/O before the next reply of this one. A model often
 * sends a whole answer in one burst: without this, one stream seals (provider) or opens (consumer)
 * all its chunks back to back while every other stream's first chunk waits behind them.
 */
export function yieldToEventLoop(): Promise<void> {
  return setImmediatePromise();
}

// --- client ---------------------------------------------------------------------------------

/** "host:port" or "[ipv6]:port", as providers register their endpoint on-chain. */
function dialTarget(endpoint: string): { host: string; port: number } {
  const target = parseEndpoint(endpoint);
  if (!target) throw new MorRpcError("dial_failed", `invalid provider endpoint ${JSON.stringify(endpoint.slice(0, 300))}: expected ${ENDPOINT_FORMAT}`);
  return target;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a served connection's signal aborts once its request is answered and the connection closed. */
const CONNECTION_DONE = new MorRpcError("connection_closed", "the connection is closed");

function abortedError(signal: AbortSignal): MorRpcError {
  return new MorRpcError("aborted", "MOR-RPC request aborted", { cause: signal.reason });
}

type Phase = "dial" | "first response" | "idle" | "total";

function timeoutError(phase: Phase, endpoint: string, ms: number): MorRpcError {
  const what = {
    dial: `could not connect to ${endpoint}`,
    "first response": `${endpoint} sent no complete response`,
    idle: `${endpoint} sent no further complete response`,
    total: `the call to ${endpoint} did not finish`,
  }[phase];
  return new MorRpcError("timeout", `${phase} timeout: ${what} within ${ms} ms`);
}

/**
 * Client: one request per connection. Writes `request` (one encoded RPCMessage, e.g. from
 * encodeRequest) with one write, no newline, does NOT half-close, then yields every RpcResponse
 * object the provider writes back to back until the provider closes. Throws MorRpcError; an EOF
 * counts as a normal end only after at least one complete object and never in the middle of one.
 * Only complete objects count as progress: bytes that never finish an object (a whitespace
 * trickle) keep nothing alive, and timeouts.totalMs bounds the whole call regardless.
 */
export async function* sendRequest(
  endpoint: string,
  request: string,
  options: {
    timeouts?: Partial<MorRpcTimeouts>;
    signal?: AbortSignal;
    /** Largest response object (default 16 MiB). */
    maxObjectBytes?: number;
    /** Bytes of parsed responses not yet taken by the caller before reading stops (default 16 MiB). */
    maxQueuedBytes?: number;
  } = {},
): AsyncGenerator<RpcResponse> {
  const { signal } = options;
  const maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_RESPONSE_BYTES;
  const timeouts = { ...DEFAULT_MORRPC_TIMEOUTS, ...options.timeouts };
  if (signal?.aborted) throw abortedError(signal);
  const { host, port } = dialTarget(endpoint);
  const parser = new JsonObjectStream({ maxObjectBytes: options.maxObjectBytes });
  const socket = net.connect({ host, port, keepAlive: true, keepAliveInitialDelay: KEEP_ALIVE_MS, noDelay: true });

  const queue: { response: RpcResponse; bytes: number }[] = [];
  let queuedBytes = 0;
  let completeObjects = 0;
  let outcome: { error?: MorRpcError } | undefined; // set once: {} = clean EOF
  let wake: (() => void) | undefined;
  let phase: Exclude<Phase, "total"> = "dial";
  let timer: NodeJS.Timeout | undefined;
  let paused = false;

  const wakeUp = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const settle = (result: { error?: MorRpcError }) => {
    if (outcome) return;
    outcome = result;
    clearTimeout(timer);
    clearTimeout(totalTimer);
    if (result.error) socket.destroy();
    wakeUp();
  };
  const fail = (error: MorRpcError) => settle({ error });
  const armTimer = () => {
    clearTimeout(timer);
    const ms = phase === "dial" ? timeouts.dialMs : phase === "first response" ? timeouts.firstByteMs : timeouts.idleMs;
    const timedOutPhase = phase;
    timer = setTimeout(() => fail(timeoutError(timedOutPhase, endpoint, ms)), ms);
  };
  const totalTimer = setTimeout(() => fail(timeoutError("total", endpoint, timeouts.totalMs)), timeouts.totalMs);
  const onAbort = () => {
    socket.destroy();
    wakeUp();
  };

  signal?.addEventListener("abort", onAbort, { once: true });
  armTimer();
  socket.once("connect", () => {
    phase = "first response";
    armTimer();
    socket.write(request);
  });
  socket.on("data", (chunk: Buffer) => {
    if (outcome) return;
    let texts: string[];
    try {
      texts = parser.push(chunk);
      for (const text of texts) {
        queue.push({ response: parseResponse(text), bytes: text.length });
        queuedBytes += text.length;
        completeObjects++;
      }
    } catch (error) {
      fail(error instanceof MorRpcError ? error : new MorRpcError("invalid_json", errorMessage(error), { cause: error }));
      return;
    }
    if (texts.length === 0) return; // not progress: only a complete object resets the clock
    phase = "idle";
    armTimer();
    if ((queue.length >= MAX_QUEUED_RESPONSES || queuedBytes >= maxQueuedBytes) && !paused) {
      // The consumer is behind: stop reading, and stop the idle clock, which measures the provider.
      paused = true;
      socket.pause();
      clearTimeout(timer);
    }
    wakeUp();
  });
  socket.on("end", () => {
    if (parser.hasPartialObject) {
      fail(new MorRpcError("connection_closed", `${endpoint} closed the connection in the middle of a response`));
    } else if (completeObjects === 0) {
      fail(new MorRpcError("connection_closed", `${endpoint} closed the connection without a response`));
    } else {
      settle({});
    }
  });
  socket.on("error", (error) => {
    fail(
      phase === "dial"
        ? new MorRpcError("dial_failed", `dial ${endpoint}: ${error.message}`, { cause: error })
        : new MorRpcError("connection_closed", `connection to ${endpoint} failed: ${error.message}`, { cause: error }),
    );
  });
  // Every call's socket closes: an error (and its stack) is built only when nothing settled the call first.
  socket.on("close", () => outcome ?? fail(new MorRpcError("connection_closed", `connection to ${endpoint} closed`)));

  try {
    for (;;) {
      if (signal?.aborted) throw abortedError(signal);
      const next = queue.shift();
      if (next) {
        queuedBytes -= next.bytes;
        if (paused && queue.length === 0 && !outcome) {
          paused = false;
          armTimer();
          socket.resume();
        }
        yield next.response;
        continue;
      }
      if (outcome) {
        if (outcome.error) throw outcome.error;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(totalTimer);
    signal?.removeEventListener("abort", onAbort);
    socket.destroy();
  }
}

// --- server ---------------------------------------------------------------------------------

export interface MorRpcConnection {
  readonly remoteAddress: string;
  /**
   * Writes one response object (already encoded with encodeResult / encodeError); resolves when
   * flushed (respects backpressure); rejects with MorRpcError("connection_closed") if the peer is gone.
   */
  send(response: string): Promise<void>;
  /** Aborted when the peer disconnects or the server shuts down, so a handler can stop upstream work. */
  readonly signal: AbortSignal;
}

export interface MorRpcServer {
  readonly port: number;
  readonly host: string;
  /** Stop accepting; wait for in-flight handlers up to graceMs (default 10 s), then destroy remaining sockets. */
  close(graceMs?: number): Promise<void>;
}

export interface MorRpcServerOptions {
  /** Default 0.0.0.0, like the proxy-router's PROXY_ADDRESS. */
  host?: string;
  /** 0 = any free port. */
  port: number;
  /** Largest request accepted (default 1 MiB); a larger one gets an error reply. */
  maxRequestBytes?: number;
  /** A connection that has not sent a complete request this long after connecting is closed (default 30 s). */
  readTimeoutMs?: number;
  /** A reply the peer does not take off our hands this long after it was written closes the connection (default 30 s). */
  writeTimeoutMs?: number;
  /** Open connections in total (default 1024); more are refused at once. */
  maxConnections?: number;
  /** Open connections from one peer IP address (default 32). */
  maxConnectionsPerAddress?: number;
  /** Bytes of unfinished requests held across all connections (default 64 MiB); past it a request is refused. */
  maxBufferedBytes?: number;
  /**
   * Called once per request. The socket is closed when the returned promise settles; if it
   * rejects before anything was sent, the consumer gets an infrastructure error with its message.
   */
  handle: (request: RpcRequest, connection: MorRpcConnection) => Promise<void>;
  /** Handler failures (including a send that failed because the consumer left) and server errors. Default: console.error. */
  onError?: (error: unknown) => void;
}

interface ServedConnection {
  socket: net.Socket;
  phase: "reading" | "handling" | "closing";
  controller: AbortController;
}

function formatAddress(address: string | undefined, port: number | undefined): string {
  if (!address) return "unknown";
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Refused connections still waiting for their peer to read the refusal; past this, refusals are silent closes. */
const MAX_LINGERING_REFUSALS = 256;

/** Writes one infrastructure error and closes; the peer gets CLOSE_LINGER_MS to read it. */
function refuse(socket: net.Socket, message: string, lingering: Set<net.Socket>): void {
  socket.on("error", () => {}); // a peer that already left
  if (lingering.size >= MAX_LINGERING_REFUSALS) {
    socket.destroy(); // a connection flood: no file descriptor is kept for it
    return;
  }
  lingering.add(socket);
  socket.on("close", () => lingering.delete(socket));
  socket.on("end", () => socket.destroy());
  socket.resume(); // discard what it sends, so its close is seen
  socket.end(encodeError("", infraError(message)));
  setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
}

/** Provider: accepts MOR-RPC connections, reads one request from each and hands it to `handle`. */
export async function startMorRpcServer(options: MorRpcServerOptions): Promise<MorRpcServer> {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxPerAddress = options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const onError = options.onError ?? ((error: unknown) => console.error("[morrpc] server error:", error));
  const reportError = (error: unknown) => {
    try {
      onError(error);
    } catch (reporterError) {
      // A failing error reporter must not take the server down; stderr is the last resort.
      console.error("[morrpc] onError threw:", reporterError);
    }
  };

  const connections = new Set<ServedConnection>();
  const perAddress = new Map<string, number>();
  const refusals = new Set<net.Socket>();
  let bufferedBytes = 0;
  let closing: Promise<void> | undefined;
  let allClosed: (() => void) | undefined;

  function serve(socket: net.Socket): void {
    if (closing) {
      socket.destroy();
      return;
    }
    const peer = socket.remoteAddress ?? "unknown";
    const fromPeer = perAddress.get(peer) ?? 0;
    if (connections.size >= maxConnections || fromPeer >= maxPerAddress) {
      refuse(socket, connections.size >= maxConnections ? "no capacity: too many connections" : "no capacity: too many connections from your address", refusals);
      return;
    }
    perAddress.set(peer, fromPeer + 1);
    const controller = new AbortController();
    const conn: ServedConnection = { socket, phase: "reading", controller };
    connections.add(conn);
    const remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    const parser = new JsonObjectStream({ maxObjectBytes: maxRequestBytes });
    let held = 0; // this connection's share of bufferedBytes
    const hold = (bytes: number) => {
      bufferedBytes += bytes - held;
      held = bytes;
    };
    let lastSocketError: Error | undefined;
    let lingerTimer: NodeJS.Timeout | undefined;
    // A deadline for the whole request, not an idle timer, so a trickling client cannot hold a socket either.
    const readDeadline = setTimeout(() => socket.destroy(), readTimeoutMs);

    const closeConnection = () => {
      hold(0);
      if (conn.phase === "closing") return;
      conn.phase = "closing";
      if (socket.destroyed) return;
      socket.end();
      lingerTimer = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
      lingerTimer.unref();
    };
    const rejectRequest = (message: string, id = "") => {
      clearTimeout(readDeadline);
      if (socket.writable) socket.write(encodeError(id, infraError(message)));
      closeConnection();
    };

    // Resets and broken pipes from a departed peer: 'close' follows and aborts the handler.
    socket.on("error", (error) => (lastSocketError = error));
    // The Go consumer never half-closes, so EOF from the peer means it is gone.
    socket.on("end", () => {
      if (conn.phase !== "closing") socket.destroy();
    });
    socket.on("close", () => {
      clearTimeout(readDeadline);
      clearTimeout(lingerTimer);
      hold(0);
      // After the handler is done (every connection ends so), one shared reason: no error and stack built per connection.
      controller.abort(
        conn.phase === "closing" ? CONNECTION_DONE : new MorRpcError("connection_closed", `consumer ${remoteAddress} disconnected`, { cause: lastSocketError }),
      );
      connections.delete(conn);
      const left = (perAddress.get(peer) ?? 1) - 1;
      if (left > 0) perAddress.set(peer, left);
      else perAddress.delete(peer);
      if (connections.size === 0) allClosed?.();
    });

    socket.on("data", (chunk: Buffer) => {
      if (conn.phase !== "reading") return; // bytes after the first object are ignored, as in Go
      if (bufferedBytes - held + parser.bufferedBytes + chunk.length > maxBufferedBytes) {
        rejectRequest("no capacity: too many requests in progress");
        return;
      }
      let request: RpcRequest;
      try {
        // One pass, stopping at the end of the first object: Go never reads past the first value,
        // so trailing bytes (even garbage) must not turn a good request into an error.
        const [text] = parser.push(chunk, 1);
        hold(parser.bufferedBytes);
        if (text === undefined) return;
        request = parseRequest(text);
      } catch (error) {
        rejectRequest(`failed to unmarshal request: ${errorMessage(error)}`);
        return;
      }
      hold(0);
      conn.phase = "handling";
      clearTimeout(readDeadline);
      void handleRequest(request);
    });

    async function handleRequest(request: RpcRequest): Promise<void> {
      let sentAny = false;
      const connection: MorRpcConnection = {
        remoteAddress,
        signal: controller.signal,
        send(response) {
          if (conn.phase !== "handling" || !socket.writable) {
            return Promise.reject(new MorRpcError("connection_closed", `consumer ${remoteAddress} is gone`));
          }
          sentAny = true;
          return new Promise((resolve, reject) => {
            // A consumer that stops reading must not hold the handler (and its upstream call) forever.
            const writeTimer = setTimeout(() => {
              socket.destroy();
              reject(new MorRpcError("timeout", `writing to ${remoteAddress} timed out after ${writeTimeoutMs} ms`));
            }, writeTimeoutMs);
            socket.write(response, (error) => {
              clearTimeout(writeTimer);
              if (error) reject(new MorRpcError("connection_closed", `writing to ${remoteAddress} failed: ${error.message}`, { cause: error }));
              else resolve();
            });
          });
        },
      };
      try {
        await options.handle(request, connection);
      } catch (error) {
        reportError(error);
        if (!sentAny) rejectRequest(errorMessage(error), request.id);
      } finally {
        closeConnection();
      }
    }
  }

  const server = net.createServer({ keepAlive: true, keepAliveInitialDelay: KEEP_ALIVE_MS, noDelay: true }, serve);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", reportError);
  const address = server.address() as net.AddressInfo;

  return {
    port: address.port,
    host: address.address,
    close(graceMs = DEFAULT_CLOSE_GRACE_MS) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const conn of connections) if (conn.phase === "reading") conn.socket.destroy();
        for (const socket of refusals) socket.destroy();
        if (connections.size > 0) {
          let graceTimer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            allClosed = resolve;
            graceTimer = setTimeout(resolve, graceMs);
          });
          clearTimeout(graceTimer);
        }
        for (const conn of connections) {
          conn.controller.abort(new MorRpcError("connection_closed", "the MOR-RPC server is shutting down"));
          conn.socket.destroy();
        }
        await stopped;
      })();
      return closing;
    },
  };
}
