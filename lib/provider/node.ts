// The provider node: serves the models of models-config.json to consumers over MOR-RPC.
// Stricter than the Go node where that breaks no Go consumer (spec: mor-rpc.md §7): it checks
// that a bid exists, is active and is its own before approving, that a prompt's session is open,
// on-chain, with this provider and unexpired, and it refuses replayed prompts.
//
// In parts: startProviderNode wires them; ChainView reads and caches bids and sessions;
// watchSessionEvents follows opens and closes; one handler per MOR-RPC method, and serveUpstream
// relays a prompt to the model and records its usage.
import { getAddress, type Address, type Hex } from "viem";
import { computeNodeAbi } from "@/lib/chain/contracts.generated";
import { canSignForProvider, getBid, getSession, type Bid, type Reader } from "@/lib/chain/reads";
import {
  assertNativeSecp256k1,
  createSessionResult,
  decodeParams,
  eciesEncryptToHex,
  encodeError,
  encodeResult,
  hexToBytes,
  infraError,
  isMorRpcMethod,
  marshalGoValue,
  paramsSignerCandidates,
  publicKeyFromPrivate,
  publicKeyToAddress,
  sealPromptResult,
  signReport,
  signResult,
  signUpstreamError,
  startMorRpcServer,
  yieldToEventLoop,
  verifyParams,
  type MorRpcConnection,
  type MorRpcMethod,
  type ParamsOf,
  type ResultOf,
  type RpcRequest,
} from "@/lib/morrpc";
import { KeyedLocks, Slots } from "./limits";
import type { ModelConfig, ModelsConfig } from "./models-config";
import { chainNow, ServedSessions, type ServedSession } from "./sessions";
import { ProviderState } from "./state";
import { countPromptTokens, countTokens, usageOf } from "./tokens";
import { callUpstream, UpstreamHttpError } from "./upstream";

export interface ProviderLog {
  info(message: string): void;
  error(message: string): void;
}

export interface ProviderNodeOptions {
  privateKey: Hex;
  models: ModelsConfig;
  /** The Compute Node contracts this provider's bids live on. */
  reader: Reader;
  host?: string;
  /** 0 = any free port (tests). */
  port: number;
  /** Keeps user keys and per-session usage across restarts. */
  stateFile?: string;
  llmTimeoutMs?: number;
  /** Largest MOR-RPC request accepted (default 1 MiB; images in prompts may need more). */
  maxRequestBytes?: number;
  /** MOR-RPC connections open at once, in all (default 1024) and from one IP address (default 32); a consumer holds one per running prompt. */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** Reported in the pong. */
  version?: string;
  log?: ProviderLog;
  /**
   * The on-chain provider whose bids this node serves when its key is not the provider's own: a
   * provider that gave the key PROVIDER rights on delegate.xyz, or a contract provider whose
   * owner() it is (the contract accepts the key's approvals and receipts). Default: the key's address.
   */
  providerAddress?: Address;
}

export interface ProviderNode {
  readonly address: Address;
  readonly port: number;
  /** Stops accepting, lets in-flight prompts finish (up to graceMs), saves state. */
  close(graceMs?: number): Promise<void>;
}

/** A refusal whose text goes back to the consumer as the protocol's infrastructure error. */
class Rejected extends Error {}

const SESSION_RECHECK_MS = 3_000;
const IDLE_WINDOW_MS = 15 * 60_000;
const PROMPT_MAX_AGE_MS = 10 * 60_000;
const PROMPT_MAX_FUTURE_MS = 5 * 60_000;
/** How often ended sessions are dropped from memory. */
const SESSION_PRUNE_INTERVAL_MS = 60_000;

const noLog: ProviderLog = { info: () => {}, error: () => {} };

/** What every handler works with. */
interface NodeContext {
  key: Uint8Array;
  address: Address;
  chainId: bigint;
  version: string;
  log: ProviderLog;
  state: ProviderState;
  chain: ChainView;
  models: Map<string, ModelConfig>;
  modelSlots: Map<string, Slots>;
  sessionLocks: KeyedLocks;
  approvals: ApprovalClock;
  replays: ReplayGuard;
  llmTimeoutMs: number;
}

export async function startProviderNode(options: ProviderNodeOptions): Promise<ProviderNode> {
  assertNativeSecp256k1(); // two ECDH and a signature per streamed chunk: never on the 30x slower fallback
  const key = hexToBytes(options.privateKey);
  // Checksummed, like getAddress(bid.provider) it is compared with (publicKeyToAddress gives lowercase).
  const signer = getAddress(publicKeyToAddress(publicKeyFromPrivate(key)));
  const address = options.providerAddress ? getAddress(options.providerAddress) : signer;
  const log = options.log ?? noLog;
  if (address !== signer && !(await canSignForProvider(options.reader, address, signer))) {
    throw new Error(`key ${signer} may not sign for provider ${address}: it needs the provider's PROVIDER rights on delegate.xyz, or to be owner() of a contract provider`);
  }
  const chainId = BigInt(await options.reader.client.getChainId());
  const state = new ProviderState(options.stateFile, {
    onWriteError: (error) => log.error(`saving provider state to ${options.stateFile}: ${(error as Error).message}`),
  });
  const ctx: NodeContext = {
    key,
    address,
    chainId,
    version: options.version ?? "v0.1.0-ts",
    log,
    state,
    chain: new ChainView(options.reader, address, log),
    models: new Map(options.models.models.map((m) => [m.modelId, m])),
    modelSlots: new Map(options.models.models.map((m) => [m.modelId, new Slots(m.concurrentSlots ?? 0)])),
    sessionLocks: new KeyedLocks(),
    approvals: new ApprovalClock(),
    replays: new ReplayGuard(),
    llmTimeoutMs: options.llmTimeoutMs ?? 240_000,
  };

  const stopWatching = watchSessionEvents(ctx, options.reader);
  const pruneTimer = setInterval(() => ctx.chain.sessions.prune(), SESSION_PRUNE_INTERVAL_MS);
  pruneTimer.unref();
  const host = options.host ?? "0.0.0.0";
  let server;
  try {
    server = await startMorRpcServer({
      host,
      port: options.port,
      maxRequestBytes: options.maxRequestBytes,
      maxConnections: options.maxConnections,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress,
      handle: (request, conn) => dispatch(ctx, request, conn),
      onError: (error) => log.error(`MOR-RPC connection: ${(error as Error).message}`),
    });
  } catch (error) {
    stopWatching();
    clearInterval(pruneTimer);
    throw error;
  }
  log.info(`provider ${address}${address !== signer ? ` (signing as ${signer})` : ""} serving ${ctx.models.size} model(s) over MOR-RPC on ${host}:${server.port} (chain id ${chainId})`);

  return {
    address,
    port: server.port,
    async close(graceMs = 10_000) {
      stopWatching();
      clearInterval(pruneTimer);
      await server.close(graceMs);
      await state.flush();
    },
  };
}

// --- chain reads ------------------------------------------------------------------------------

/** The bids and sessions the handlers read, cached: a bid only changes by deletion, a session is re-read every few seconds. */
class ChainView {
  readonly sessions = new ServedSessions();
  /** Only this provider's own bids: what a stranger's session id points at is never kept. */
  private readonly ownBids = new Map<string, Bid>();

  constructor(
    private readonly reader: Reader,
    private readonly address: Address,
    private readonly log: ProviderLog,
  ) {}

  async bid(bidId: Hex): Promise<Bid> {
    const id = bidId.toLowerCase();
    const cached = this.ownBids.get(id);
    // A bid's provider and model never change; only its deletion does, so only active bids are re-read.
    if (cached && cached.deletedAt !== 0n) return cached;
    const bid = await getBid(this.reader, bidId);
    if (!/^0x0+$/.test(bid.provider) && getAddress(bid.provider) === this.address) this.ownBids.set(id, bid);
    return bid;
  }

  /**
   * The chain's time in seconds (the latest block's). Approvals carry it, as receipts do: the
   * contract compares them with block.timestamp, which on a test chain moved ahead is far from the
   * wall clock. Read afresh each time: a session request already costs a bid read.
   */
  async now(): Promise<bigint> {
    return (await this.reader.client.getBlock({ blockTag: "latest" })).timestamp;
  }

  /** The session, from the cache unless `fresh` or older than SESSION_RECHECK_MS; Rejected unless it is this provider's. */
  async session(sessionId: Hex, fresh = false): Promise<ServedSession> {
    const id = sessionId.toLowerCase() as Hex;
    const cached = this.sessions.get(id);
    if (cached && (cached.closed || (!fresh && Date.now() - cached.readAtMs < SESSION_RECHECK_MS))) return cached;
    let onChain, block;
    try {
      [onChain, block] = await Promise.all([getSession(this.reader, id), this.reader.client.getBlock({ blockTag: "latest" })]);
    } catch (error) {
      this.log.error(`reading session ${id}: ${(error as Error).message}`);
      throw new Rejected("session cannot be loaded: the chain could not be read");
    }
    if (/^0x0+$/.test(onChain.user)) throw new Rejected("session cannot be loaded: session not found");
    const bid = await this.bid(onChain.bidId);
    if (getAddress(bid.provider) !== this.address) throw new Rejected("session cannot be loaded: the session is with another provider");
    const session: ServedSession = {
      id,
      user: getAddress(onChain.user),
      bidId: onChain.bidId,
      modelId: bid.modelId.toLowerCase() as Hex,
      endsAt: onChain.endsAt,
      closed: onChain.closedAt !== 0n,
      chainTime: block.timestamp,
      readAtMs: Date.now(),
    };
    this.sessions.put(session);
    return session;
  }
}

/**
 * Sessions opened with (or closed by) this provider, as they happen: capacity counts them and a
 * closed session stops being served at once. Returns the function that stops watching.
 */
function watchSessionEvents({ chain, state, address, log }: NodeContext, reader: Reader): () => void {
  // A chain outage would repeat the same error every poll: each text is logged once a minute.
  const lastLogged = new Map<string, number>();
  const watchError = (event: string) => (error: Error) => {
    const text = `watching ${event}: ${((error as { shortMessage?: string }).shortMessage ?? error.message).split("\n")[0]}`;
    const now = Date.now();
    for (const [logged, at] of lastLogged) if (now - at >= 60_000) lastLogged.delete(logged);
    if (lastLogged.has(text)) return;
    lastLogged.set(text, now);
    log.error(text);
  };
  const unwatch = [
    reader.client.watchContractEvent({
      address: reader.diamond,
      abi: computeNodeAbi,
      eventName: "SessionOpened",
      args: { provider: address },
      pollingInterval: 1_000,
      onLogs: (logs) => {
        for (const l of logs) {
          const sessionId = (l.args as { sessionId?: Hex }).sessionId;
          if (sessionId) chain.session(sessionId, true).catch((e) => log.error(`tracking opened session ${sessionId}: ${(e as Error).message}`));
        }
      },
      onError: watchError("SessionOpened"),
    }),
    reader.client.watchContractEvent({
      address: reader.diamond,
      abi: computeNodeAbi,
      eventName: "SessionClosed",
      args: { provider: address },
      pollingInterval: 1_000,
      onLogs: (logs) => {
        for (const l of logs) {
          const sessionId = ((l.args as { sessionId?: Hex }).sessionId ?? "").toLowerCase() as Hex;
          chain.sessions.markClosed(sessionId);
          state.forgetSession(sessionId);
        }
      },
      onError: watchError("SessionClosed"),
    }),
  ];
  return () => {
    for (const stop of unwatch) stop();
  };
}

/** Room for one more session of `model`: its running sessions (recently active ones, for idle_timeout) below concurrentSlots. */
function hasCapacity({ chain, state }: NodeContext, model: ModelConfig): boolean {
  const slots = model.concurrentSlots ?? 0;
  if (slots === 0) return true;
  if (model.capacityPolicy === "idle_timeout") {
    const since = Date.now() - IDLE_WINDOW_MS;
    return chain.sessions.countRunning(model.modelId, (s) => (state.sessionUsage(s.id)?.lastActivityMs ?? -1) >= since) < slots;
  }
  return chain.sessions.countRunning(model.modelId) < slots;
}

// --- approvals and replays --------------------------------------------------------------------

/**
 * Approval timestamps are in seconds of chain time, the contract's unit, so an approval really
 * expires after its TTL (the Go node writes milliseconds, which never expire; consumers accept both). Two approvals of one bid for one user in the same second would be the same bytes, which the
 * contract refuses as a duplicate: each gets a later second than the one before.
 */
class ApprovalClock {
  private readonly last = new Map<string, bigint>();

  /** `now`: chain time in seconds (ChainView.now). */
  next(bidId: Hex, user: Address, now: bigint): bigint {
    const pair = `${bidId}:${user}`.toLowerCase();
    const last = this.last.get(pair);
    const timestamp = last !== undefined && last >= now ? last + 1n : now;
    for (const [p, t] of this.last) if (t < now) this.last.delete(p);
    this.last.set(pair, timestamp);
    return timestamp;
  }
}

/**
 * Refuses a prompt whose timestamp is far from our clock, or whose signature was seen in the window.
 * Signatures are keyed by r‖s alone: verification ignores v (and a verified s is low), so the same
 * signature with another recovery byte (0/1/27/28) or hex case is the same signature.
 */
class ReplayGuard {
  private readonly seen = new Map<string, number>();

  check(sessionId: Hex, timestamp: number, signature: Hex | undefined): void {
    const now = Date.now();
    if (timestamp < now - PROMPT_MAX_AGE_MS || timestamp > now + PROMPT_MAX_FUTURE_MS) {
      throw new Rejected("request validation failed: timestamp is too far from the provider's clock");
    }
    const rs = (signature ?? "").replace(/^0[xX]/, "").slice(0, 128).toLowerCase();
    const seenKey = `${sessionId}:${rs}`;
    if (this.seen.has(seenKey)) throw new Rejected("invalid signature: replayed request");
    this.seen.set(seenKey, timestamp);
    for (const [k, ts] of this.seen) {
      if (ts < now - PROMPT_MAX_AGE_MS) this.seen.delete(k);
      else break; // insertion order is roughly time order
    }
  }
}

// --- handlers ---------------------------------------------------------------------------------

const handlers: Record<MorRpcMethod, (ctx: NodeContext, request: RpcRequest, conn: MorRpcConnection) => Promise<void>> = {
  "network.ping": handlePing,
  "session.request": handleSessionRequest,
  "session.prompt": handlePrompt,
  "session.report": handleReport,
};

/**
 * Methods of the Go node this one does not serve (MCP agent tools, audio upload), answered with
 * what a Go node without agents or that stream says, so Go consumers fail the way they expect.
 */
function unservedMethodError(method: string, params: unknown): string | undefined {
  const streamId = params && typeof params === "object" && typeof (params as { streamid?: unknown }).streamid === "string"
    ? (params as { streamid: string }).streamid.slice(0, 100)
    : "";
  switch (method) {
    case "agent.get_tools":
      return "failed to get agent tools: agent not found: this provider serves no agents";
    case "agent.call_tool":
      return "failed to call agent tool: agent not found: this provider serves no agents";
    case "session.prompt.stream.start":
      return "failed to create streaming session: audio streaming is not supported by this provider";
    case "session.prompt.stream.chunk":
    case "session.prompt.stream.end":
      return `streaming session ${streamId} not found`;
    default:
      return undefined;
  }
}

/** Routes a request to its handler; a refusal or failure becomes the protocol's infrastructure error. */
async function dispatch(ctx: NodeContext, request: RpcRequest, conn: MorRpcConnection): Promise<void> {
  if (!isMorRpcMethod(request.method)) {
    const message = unservedMethodError(request.method, request.params) ?? `unknown method: unknown method: ${request.method}`;
    await conn.send(encodeError(request.id, infraError(message)));
    return;
  }
  try {
    await handlers[request.method](ctx, request, conn);
  } catch (error) {
    const message =
      error instanceof Rejected
        ? error.message
        : error instanceof Error && error.name === "MorRpcError"
          ? `request validation failed: ${error.message}`
          : "internal error";
    if (!(error instanceof Rejected)) ctx.log.error(`${request.method} from ${conn.remoteAddress}: ${(error as Error).stack ?? error}`);
    await conn.send(encodeError(request.id, infraError(message))).catch(() => {});
  }
}

function sendResult<M extends MorRpcMethod>(ctx: NodeContext, conn: MorRpcConnection, method: M, id: string, unsigned: Omit<ResultOf<M>, "signature">) {
  return conn.send(encodeResult(method, id, signResult(method, unsigned, ctx.key)));
}

async function handlePing(ctx: NodeContext, request: RpcRequest, conn: MorRpcConnection) {
  // The provider does not check the ping signature (nor does Go); it always answers.
  const params = decodeParams("network.ping", request.params);
  await sendResult(ctx, conn, "network.ping", request.id, { nonce: params.nonce, version: ctx.version });
}

async function handleSessionRequest(ctx: NodeContext, request: RpcRequest, conn: MorRpcConnection) {
  const params = decodeParams("session.request", request.params);
  const userKey = hexToBytes(params.key);
  if (userKey.length !== 65 || userKey[0] !== 0x04) {
    throw new Rejected("request validation failed: key must be the uncompressed 65-byte public key (0x04…)");
  }
  if (!verifyParams("session.request", params, params.key)) throw new Rejected("invalid signature");
  // The key is stored as `user`'s and checks that user's prompts: anyone else's key would let its
  // holder prompt on the user's sessions (Go consumers always send their own key).
  if (getAddress(publicKeyToAddress(userKey)) !== getAddress(params.user)) {
    throw new Rejected("request validation failed: key is not the public key of user");
  }
  let bid: Bid;
  let now: bigint;
  try {
    // Read afresh unless already deleted: never approve a deleted bid.
    [bid, now] = await Promise.all([ctx.chain.bid(params.bidId), ctx.chain.now()]);
  } catch (error) {
    ctx.log.error(`reading bid ${params.bidId}: ${(error as Error).message}`);
    throw new Rejected("failed to get bid: the chain could not be read");
  }
  if (/^0x0+$/.test(bid.provider)) throw new Rejected(`failed to get bid: bid ${params.bidId} not found`);
  if (getAddress(bid.provider) !== ctx.address) throw new Rejected(`failed to get bid: bid ${params.bidId} belongs to another provider`);
  if (bid.deletedAt !== 0n) throw new Rejected(`failed to get bid: bid ${params.bidId} is not active`);
  const model = ctx.models.get(bid.modelId.toLowerCase() as Hex);
  if (!model) throw new Rejected(`failed to get adapter: api adapter not found: ${bid.modelId.toLowerCase()}`);
  if (!hasCapacity(ctx, model)) throw new Rejected("no capacity");

  ctx.state.setUserKey(params.user, params.key);
  const approval = { bidId: params.bidId, chainId: ctx.chainId, user: params.user, timestamp: ctx.approvals.next(params.bidId, params.user, now) };
  await conn.send(encodeResult("session.request", request.id, createSessionResult(approval, ctx.key)));
}

/**
 * The known user who signed these params, found without a chain read: the signer is recovered and
 * must be a user whose key session.request stored. So a stranger's request costs no chain read.
 */
function knownSigner<M extends "session.prompt" | "session.report">(ctx: NodeContext, method: M, params: ParamsOf<M>): { user: Address; key: Hex } {
  for (const candidate of paramsSignerCandidates(method, params)) {
    const user = getAddress(publicKeyToAddress(candidate));
    const key = ctx.state.userKey(user);
    if (key && key.toLowerCase() === candidate.toLowerCase() && verifyParams(method, params, key)) return { user, key };
  }
  // As Go answers for a session whose user it holds no key for (the consumer then asks for a new approval).
  throw new Rejected("user not found");
}

async function handlePrompt(ctx: NodeContext, request: RpcRequest, conn: MorRpcConnection) {
  const params = decodeParams("session.prompt", request.params);
  const signer = knownSigner(ctx, "session.prompt", params);
  const session = await ctx.chain.session(params.sessionId);
  if (session.user !== signer.user) throw new Rejected("invalid signature");
  if (session.closed) throw new Rejected("session closed");
  if (session.endsAt * 1000n < BigInt(params.timestamp) || session.endsAt <= chainNow(session)) throw new Rejected("session expired");
  const userKey = signer.key;
  ctx.replays.check(session.id, params.timestamp, params.signature);
  const model = ctx.models.get(session.modelId);
  if (!model) throw new Rejected(`failed to get adapter: api adapter not found: ${session.modelId}`);
  const { kind, body } = parsePromptPayload(params.prompt);

  const releaseSession = await ctx.sessionLocks.acquire(session.id, conn.signal).catch(() => {
    throw new Rejected("request cancelled while waiting in queue: client gone");
  });
  let releaseSlot: (() => void) | undefined;
  try {
    releaseSlot = await ctx.modelSlots.get(model.modelId)!.acquire(conn.signal);
    await serveUpstream(ctx, request.id, conn, { session, model, kind, body, userKey });
  } finally {
    releaseSlot?.();
    releaseSession();
  }
}

/** The prompt's JSON: an OpenAI request, with `type: "embeddings"` for embeddings (as the Go node). */
function parsePromptPayload(prompt: string): { kind: "chat" | "embeddings"; body: Record<string, unknown> } {
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(prompt);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected a JSON object");
    payload = parsed as Record<string, unknown>;
  } catch (error) {
    throw new Rejected(`failed to process chat request: ${(error as Error).message}`);
  }
  const { type, ...body } = payload;
  if (type !== undefined && type !== "embeddings") throw new Rejected(`failed to process chat request: unsupported type ${JSON.stringify(type)}`);
  return { kind: type === "embeddings" ? "embeddings" : "chat", body };
}

/** Relays one prompt to the model, each reply sealed to the user; records the prompt's usage once it completes. */
async function serveUpstream(
  ctx: NodeContext,
  requestId: string,
  conn: MorRpcConnection,
  { session, model, kind, body, userKey }: { session: ServedSession; model: ModelConfig; kind: "chat" | "embeddings"; body: Record<string, unknown>; userKey: Hex },
) {
  const started = Date.now();
  let ttftMs: number | undefined;
  let content = "";
  const inputTokens = kind === "chat" ? countPromptTokens(body.messages) : countEmbeddingInputTokens(body.input);
  let sent = 0;
  const send = async (plaintext: string) => {
    // Other streams' chunks first, then this one's next (see yieldToEventLoop).
    if (sent++ > 0) await yieldToEventLoop();
    ttftMs ??= Date.now() - started;
    await conn.send(encodeResult("session.prompt", requestId, sealPromptResult(plaintext, userKey, ctx.key)));
  };
  // Counted once per distinct text: the final chunk's usage and the session's record need the same count.
  let counted = { text: "", tokens: 0 };
  const outputTokens = () => (counted.text === content ? counted.tokens : (counted = { text: content, tokens: countTokens(content) }).tokens);
  const withProviderUsage = (data: Record<string, unknown>) => ({
    ...data,
    usage_from_provider: usageOf(inputTokens, outputTokens()),
  });

  const signal = AbortSignal.any([conn.signal, AbortSignal.timeout(ctx.llmTimeoutMs)]);
  try {
    for await (const event of callUpstream(model, kind, body, { signal })) {
      if (event.kind === "done") {
        await send(JSON.stringify("[DONE]"));
      } else if (event.kind === "chunk") {
        content += chunkText(event.data);
        await send(marshalGoValue(isFinalChunk(event.data) ? withProviderUsage(event.data) : event.data));
      } else {
        const data = event.data;
        if (kind === "chat" && data && typeof data === "object" && !Array.isArray(data)) {
          content = responseText(data as Record<string, unknown>);
          await send(marshalGoValue(withProviderUsage(data as Record<string, unknown>)));
        } else {
          await send(marshalGoValue(data));
        }
      }
    }
  } catch (error) {
    if (conn.signal.aborted) return; // the consumer left: nothing to tell, nothing to bill
    if (error instanceof UpstreamHttpError) {
      ctx.log.error(`model ${model.modelName}: upstream answered HTTP ${error.status}`);
      const ciphertext = eciesEncryptToHex(userKey, marshalGoValue({ providerModelError: error.body }));
      await conn.send(encodeError(requestId, signUpstreamError(ciphertext, ctx.key)));
      return;
    }
    const reason = signal.aborted && !conn.signal.aborted ? `upstream timed out after ${ctx.llmTimeoutMs} ms` : (error as Error).message;
    ctx.log.error(`model ${model.modelName}: ${reason}`);
    await conn.send(encodeError(requestId, infraError(`failed to prompt: ${reason}`))).catch(() => {});
    return;
  }
  ctx.state.recordPrompt(session.id, {
    ttftMs: ttftMs ?? Date.now() - started,
    durationMs: Date.now() - started,
    inputTokens,
    outputTokens: outputTokens(),
  });
}

async function handleReport(ctx: NodeContext, request: RpcRequest, conn: MorRpcConnection) {
  const params = decodeParams("session.report", request.params);
  const hex = params.sessionId.replace(/^0[xX]/, "").toLowerCase();
  if (hex.length !== 64) throw new Rejected("request validation failed: message must be a 32-byte session id");
  const signer = knownSigner(ctx, "session.report", params);
  const session = await ctx.chain.session(`0x${hex}`, true);
  if (session.user !== signer.user) throw new Rejected("invalid signature");
  const usage = ctx.state.sessionUsage(session.id);
  const prompts = usage?.prompts ?? 0;
  const signed = signReport(
    {
      sessionId: session.id,
      chainId: ctx.chainId,
      // Seconds of chain time: the contract refuses a receipt once block.timestamp passes it by 10 minutes.
      timestamp: chainNow(session),
      tpsScaled1000: prompts ? Math.floor(usage!.tpsScaled1000Sum / prompts) : 0,
      ttftMs: prompts ? Math.floor(usage!.ttftMsSum / prompts) : 0,
      inputTokens: Math.min(usage?.inputTokens ?? 0, 0xffffffff),
      outputTokens: Math.min(usage?.outputTokens ?? 0, 0xffffffff),
    },
    ctx.key,
  );
  await sendResult(ctx, conn, "session.report", request.id, { report: signed.report, signedReport: signed.signedReport, timestamp: Date.now() });
}

// --- OpenAI payload helpers -------------------------------------------------------------------

function chunkText(chunk: Record<string, unknown>): string {
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  return choices
    .map((c) => {
      const delta = (c as { delta?: { content?: unknown } }).delta;
      return typeof delta?.content === "string" ? delta.content : "";
    })
    .join("");
}

function isFinalChunk(chunk: Record<string, unknown>): boolean {
  if (chunk.usage !== undefined && chunk.usage !== null) return true;
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  return choices.some((c) => {
    const reason = (c as { finish_reason?: unknown }).finish_reason;
    return reason !== undefined && reason !== null;
  });
}

function responseText(response: Record<string, unknown>): string {
  const choices = Array.isArray(response.choices) ? response.choices : [];
  return choices
    .map((c) => {
      const content = (c as { message?: { content?: unknown } }).message?.content;
      return typeof content === "string" ? content : "";
    })
    .join("");
}

function countEmbeddingInputTokens(input: unknown): number {
  if (typeof input === "string") return countTokens(input);
  if (Array.isArray(input)) return input.reduce<number>((n, item) => n + (typeof item === "string" ? countTokens(item) : 0), 0);
  return 0;
}
