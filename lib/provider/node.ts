// The provider node: serves the models of models-config.json to consumers over MOR-RPC.
// Stricter than the Go node where that breaks no Go consumer (spec: mor-rpc.md §7): it checks
// that a bid exists, is active and is its own before approving, that a prompt's session is open,
// on-chain, with this provider and unexpired, and it refuses replayed prompts.
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
  publicKeyFromPrivate,
  publicKeyToAddress,
  sealPromptResult,
  signReport,
  signResult,
  signUpstreamError,
  startMorRpcServer,
  verifyParams,
  type MorRpcConnection,
  type MorRpcMethod,
  type ResultOf,
  type RpcRequest,
} from "@/lib/morrpc";
import { KeyedLocks, Slots } from "./limits";
import type { ModelConfig, ModelsConfig } from "./models-config";
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

/** What the node knows about an on-chain session it serves. */
interface ServedSession {
  id: Hex;
  user: Address;
  bidId: Hex;
  modelId: Hex;
  endsAt: bigint;
  closed: boolean;
  /** Chain time at the read, and when (wall clock) it was read: chain "now" without a read per prompt. */
  chainTime: bigint;
  readAtMs: number;
}

const SESSION_RECHECK_MS = 3_000;
const IDLE_WINDOW_MS = 15 * 60_000;
const PROMPT_MAX_AGE_MS = 10 * 60_000;
const PROMPT_MAX_FUTURE_MS = 5 * 60_000;

const noLog: ProviderLog = { info: () => {}, error: () => {} };

export async function startProviderNode(options: ProviderNodeOptions): Promise<ProviderNode> {
  assertNativeSecp256k1(); // two ECDH and a signature per streamed chunk: never on the 30x slower fallback
  const key = hexToBytes(options.privateKey);
  // Checksummed, like getAddress(bid.provider) it is compared with (publicKeyToAddress gives lowercase).
  const signer = getAddress(publicKeyToAddress(publicKeyFromPrivate(key)));
  const address = options.providerAddress ? getAddress(options.providerAddress) : signer;
  const log = options.log ?? noLog;
  const { reader } = options;
  if (address !== signer && !(await canSignForProvider(reader, address, signer))) {
    throw new Error(`key ${signer} may not sign for provider ${address}: it needs the provider's PROVIDER rights on delegate.xyz, or to be owner() of a contract provider`);
  }
  const chainId = BigInt(await reader.client.getChainId());
  const state = new ProviderState(options.stateFile);
  const models = new Map(options.models.models.map((m) => [m.modelId, m]));
  const modelSlots = new Map(options.models.models.map((m) => [m.modelId, new Slots(m.concurrentSlots ?? 0)]));
  const sessionLocks = new KeyedLocks();
  const sessions = new Map<string, ServedSession>();
  const bids = new Map<string, Bid>();
  const seenPromptSignatures = new Map<string, number>();
  const llmTimeoutMs = options.llmTimeoutMs ?? 240_000;
  const version = options.version ?? "v0.1.0-ts";

  // --- chain reads ------------------------------------------------------------------------

  async function bidOf(bidId: Hex): Promise<Bid> {
    const cached = bids.get(bidId.toLowerCase());
    // A bid's provider and model never change; only its deletion does, so only active bids are re-read.
    if (cached && cached.deletedAt !== 0n) return cached;
    const bid = await getBid(reader, bidId);
    bids.set(bidId.toLowerCase(), bid);
    return bid;
  }

  async function loadSession(sessionId: Hex, fresh = false): Promise<ServedSession> {
    const id = sessionId.toLowerCase() as Hex;
    const cached = sessions.get(id);
    if (cached && (cached.closed || (!fresh && Date.now() - cached.readAtMs < SESSION_RECHECK_MS))) return cached;
    let onChain, block;
    try {
      [onChain, block] = await Promise.all([getSession(reader, id), reader.client.getBlock({ blockTag: "latest" })]);
    } catch (error) {
      log.error(`reading session ${id}: ${(error as Error).message}`);
      throw new Rejected("session cannot be loaded: the chain could not be read");
    }
    if (/^0x0+$/.test(onChain.user)) throw new Rejected("session cannot be loaded: session not found");
    const bid = await bidOf(onChain.bidId);
    if (getAddress(bid.provider) !== address) throw new Rejected("session cannot be loaded: the session is with another provider");
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
    sessions.set(id, session);
    return session;
  }

  function chainNow(session: ServedSession): bigint {
    return session.chainTime + BigInt(Math.floor((Date.now() - session.readAtMs) / 1000));
  }

  // Sessions opened with (or closed by) this provider, as they happen: capacity counts them and a
  // closed session stops being served at once. A chain outage would repeat the same error every
  // poll: log it once a minute.
  const lastWatchError = new Map<string, number>();
  const watchError = (event: string) => (error: Error) => {
    const text = `watching ${event}: ${((error as { shortMessage?: string }).shortMessage ?? error.message).split("\n")[0]}`;
    if (Date.now() - (lastWatchError.get(text) ?? 0) < 60_000) return;
    lastWatchError.set(text, Date.now());
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
          if (sessionId) loadSession(sessionId, true).catch((e) => log.error(`tracking opened session ${sessionId}: ${(e as Error).message}`));
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
          const known = sessions.get(sessionId);
          if (known) known.closed = true;
          state.forgetSession(sessionId);
        }
      },
      onError: watchError("SessionClosed"),
    }),
  ];

  function hasCapacity(model: ModelConfig): boolean {
    const slots = model.concurrentSlots ?? 0;
    if (slots === 0) return true;
    if (model.capacityPolicy === "idle_timeout") {
      const recent = new Set(state.activeSessionIdsSince(Date.now() - IDLE_WINDOW_MS));
      const count = [...sessions.values()].filter((s) => s.modelId === model.modelId && !s.closed && recent.has(s.id)).length;
      return count < slots;
    }
    const count = [...sessions.values()].filter((s) => s.modelId === model.modelId && !s.closed && s.endsAt > chainNow(s)).length;
    return count < slots;
  }

  // --- handlers ---------------------------------------------------------------------------

  function result<M extends MorRpcMethod>(conn: MorRpcConnection, method: M, id: string, unsigned: Omit<ResultOf<M>, "signature">) {
    return conn.send(encodeResult(method, id, signResult(method, unsigned, key)));
  }

  async function ping(request: RpcRequest, conn: MorRpcConnection) {
    // The provider does not check the ping signature (nor does Go); it always answers.
    const params = decodeParams("network.ping", request.params);
    await result(conn, "network.ping", request.id, { nonce: params.nonce, version });
  }

  async function sessionRequest(request: RpcRequest, conn: MorRpcConnection) {
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
    try {
      bid = await getBid(reader, params.bidId);
    } catch (error) {
      log.error(`reading bid ${params.bidId}: ${(error as Error).message}`);
      throw new Rejected("failed to get bid: the chain could not be read");
    }
    if (/^0x0+$/.test(bid.provider)) throw new Rejected(`failed to get bid: bid ${params.bidId} not found`);
    if (getAddress(bid.provider) !== address) throw new Rejected(`failed to get bid: bid ${params.bidId} belongs to another provider`);
    if (bid.deletedAt !== 0n) throw new Rejected(`failed to get bid: bid ${params.bidId} is not active`);
    const model = models.get(bid.modelId.toLowerCase() as Hex);
    if (!model) throw new Rejected(`failed to get adapter: api adapter not found: ${bid.modelId.toLowerCase()}`);
    if (!hasCapacity(model)) throw new Rejected("no capacity");

    state.setUserKey(params.user, params.key);
    const approval = { bidId: params.bidId, chainId, user: params.user, timestamp: approvalTimestamp(params.bidId, params.user) };
    await conn.send(encodeResult("session.request", request.id, createSessionResult(approval, key)));
  }

  // Approval timestamps are in seconds, the contract's unit, so an approval really expires after its
  // TTL. Two approvals of one bid for one user in the same second would be the same bytes, which the
  // contract refuses as a duplicate: each gets a later second than the one before.
  const lastApprovalAt = new Map<string, bigint>();
  function approvalTimestamp(bidId: Hex, user: Address): bigint {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const pair = `${bidId}:${user}`.toLowerCase();
    const last = lastApprovalAt.get(pair);
    const timestamp = last !== undefined && last >= now ? last + 1n : now;
    for (const [p, t] of lastApprovalAt) if (t < now) lastApprovalAt.delete(p);
    lastApprovalAt.set(pair, timestamp);
    return timestamp;
  }

  function checkFreshPrompt(sessionId: Hex, timestamp: number, signature: Hex | undefined) {
    const now = Date.now();
    if (timestamp < now - PROMPT_MAX_AGE_MS || timestamp > now + PROMPT_MAX_FUTURE_MS) {
      throw new Rejected("request validation failed: timestamp is too far from the provider's clock");
    }
    const seenKey = `${sessionId}:${signature}`;
    if (seenPromptSignatures.has(seenKey)) throw new Rejected("invalid signature: replayed request");
    seenPromptSignatures.set(seenKey, timestamp);
    for (const [k, ts] of seenPromptSignatures) {
      if (ts < now - PROMPT_MAX_AGE_MS) seenPromptSignatures.delete(k);
      else break; // insertion order is roughly time order
    }
  }

  async function prompt(request: RpcRequest, conn: MorRpcConnection) {
    const params = decodeParams("session.prompt", request.params);
    const session = await loadSession(params.sessionId);
    if (session.closed) throw new Rejected("session closed");
    if (session.endsAt * 1000n < BigInt(params.timestamp) || session.endsAt <= chainNow(session)) throw new Rejected("session expired");
    const userKey = state.userKey(session.user);
    if (!userKey) throw new Rejected("user not found");
    if (!verifyParams("session.prompt", params, userKey)) throw new Rejected("invalid signature");
    checkFreshPrompt(session.id, params.timestamp, params.signature);
    const model = models.get(session.modelId);
    if (!model) throw new Rejected(`failed to get adapter: api adapter not found: ${session.modelId}`);

    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(params.prompt);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected a JSON object");
      payload = parsed as Record<string, unknown>;
    } catch (error) {
      throw new Rejected(`failed to process chat request: ${(error as Error).message}`);
    }
    const { type, ...body } = payload;
    if (type !== undefined && type !== "embeddings") throw new Rejected(`failed to process chat request: unsupported type ${JSON.stringify(type)}`);
    const kind = type === "embeddings" ? "embeddings" : "chat";

    const releaseSession = await sessionLocks.acquire(session.id, conn.signal).catch(() => {
      throw new Rejected("request cancelled while waiting in queue: client gone");
    });
    let releaseSlot: (() => void) | undefined;
    try {
      releaseSlot = await modelSlots.get(model.modelId)!.acquire(conn.signal);
      await serveUpstream(request.id, conn, { session, model, kind, body, userKey });
    } finally {
      releaseSlot?.();
      releaseSession();
    }
  }

  async function serveUpstream(
    requestId: string,
    conn: MorRpcConnection,
    { session, model, kind, body, userKey }: { session: ServedSession; model: ModelConfig; kind: "chat" | "embeddings"; body: Record<string, unknown>; userKey: Hex },
  ) {
    const started = Date.now();
    let ttftMs: number | undefined;
    let content = "";
    const inputTokens = kind === "chat" ? countPromptTokens(body.messages) : countEmbeddingInputTokens(body.input);
    const send = async (plaintext: string) => {
      ttftMs ??= Date.now() - started;
      await conn.send(encodeResult("session.prompt", requestId, sealPromptResult(plaintext, userKey, key)));
    };
    const withProviderUsage = (data: Record<string, unknown>) => ({
      ...data,
      usage_from_provider: usageOf(inputTokens, countTokens(content)),
    });

    const signal = AbortSignal.any([conn.signal, AbortSignal.timeout(llmTimeoutMs)]);
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
        log.error(`model ${model.modelName}: upstream answered HTTP ${error.status}`);
        const ciphertext = eciesEncryptToHex(userKey, marshalGoValue({ providerModelError: error.body }));
        await conn.send(encodeError(requestId, signUpstreamError(ciphertext, key)));
        return;
      }
      const reason = signal.aborted && !conn.signal.aborted ? `upstream timed out after ${llmTimeoutMs} ms` : (error as Error).message;
      log.error(`model ${model.modelName}: ${reason}`);
      await conn.send(encodeError(requestId, infraError(`failed to prompt: ${reason}`))).catch(() => {});
      return;
    }
    state.recordPrompt(session.id, {
      ttftMs: ttftMs ?? Date.now() - started,
      durationMs: Date.now() - started,
      inputTokens,
      outputTokens: countTokens(content),
    });
  }

  async function report(request: RpcRequest, conn: MorRpcConnection) {
    const params = decodeParams("session.report", request.params);
    const hex = params.sessionId.replace(/^0[xX]/, "").toLowerCase();
    if (hex.length !== 64) throw new Rejected("request validation failed: message must be a 32-byte session id");
    const session = await loadSession(`0x${hex}`, true);
    const userKey = state.userKey(session.user);
    if (!userKey) throw new Rejected("user not found");
    if (!verifyParams("session.report", params, userKey)) throw new Rejected("invalid signature");
    const usage = state.sessionUsage(session.id);
    const prompts = usage?.prompts ?? 0;
    const signed = signReport(
      {
        sessionId: session.id,
        chainId,
        timestamp: BigInt(Date.now()),
        tpsScaled1000: prompts ? Math.floor(usage!.tpsScaled1000Sum / prompts) : 0,
        ttftMs: prompts ? Math.floor(usage!.ttftMsSum / prompts) : 0,
        inputTokens: Math.min(usage?.inputTokens ?? 0, 0xffffffff),
        outputTokens: Math.min(usage?.outputTokens ?? 0, 0xffffffff),
      },
      key,
    );
    await result(conn, "session.report", request.id, { report: signed.report, signedReport: signed.signedReport, timestamp: Date.now() });
  }

  const handlers: Record<MorRpcMethod, (request: RpcRequest, conn: MorRpcConnection) => Promise<void>> = {
    "network.ping": ping,
    "session.request": sessionRequest,
    "session.prompt": prompt,
    "session.report": report,
  };

  const [host, port] = [options.host ?? "0.0.0.0", options.port];
  const server = await startMorRpcServer({
    host,
    port,
    handle: async (request, conn) => {
      if (!isMorRpcMethod(request.method)) {
        await conn.send(encodeError(request.id, infraError(`unknown method: unknown method: ${request.method}`)));
        return;
      }
      try {
        await handlers[request.method](request, conn);
      } catch (error) {
        const message =
          error instanceof Rejected
            ? error.message
            : error instanceof Error && error.name === "MorRpcError"
              ? `request validation failed: ${error.message}`
              : "internal error";
        if (!(error instanceof Rejected)) log.error(`${request.method} from ${conn.remoteAddress}: ${(error as Error).stack ?? error}`);
        await conn.send(encodeError(request.id, infraError(message))).catch(() => {});
      }
    },
    onError: (error) => log.error(`MOR-RPC connection: ${(error as Error).message}`),
  });
  log.info(`provider ${address}${address !== signer ? ` (signing as ${signer})` : ""} serving ${models.size} model(s) over MOR-RPC on ${host}:${server.port} (chain id ${chainId})`);

  return {
    address,
    port: server.port,
    async close(graceMs = 10_000) {
      for (const stop of unwatch) stop();
      await server.close(graceMs);
      state.flush();
    },
  };
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
