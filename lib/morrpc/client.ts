// The consumer side of MOR-RPC: ping, session approval, prompts and the usage report, each one
// TCP request (transport.ts) whose replies are checked and decrypted here. What Go's
// proxy_sender.go does, plus the checks it skips (approval contents and signer key, a stream that
// stops before its end).
import type { Address, Hash, Hex } from "viem";
import { encodeRequest, decodeResult, type RpcResponse } from "./envelope";
import { eciesDecryptFromHex } from "./ecies";
import { MorRpcError } from "./errors";
import { bytesToHex, toBytes, type BytesLike } from "./json";
import {
  checkSessionResult,
  isUnsignedError,
  newPingNonce,
  newRequestId,
  openPromptResult,
  signParams,
  verifyErrorSignature,
  verifyPong,
  verifyResult,
  type MorRpcMethod,
  type ParamsOf,
  type ResultOf,
  type RpcErrorBody,
  type Unsigned,
} from "./messages";
import { publicKeyFromPrivate } from "./secp";
import { publicKeyToAddress } from "./signing";
import { sendRequest, yieldToEventLoop, type MorRpcTimeouts } from "./transport";

export interface ProviderCallOptions {
  timeouts?: Partial<MorRpcTimeouts>;
  signal?: AbortSignal;
  /** Request id on the wire (Go uses the HTTP x-request-id); random when unset. */
  requestId?: string;
}

/** The consumer's key pair as the protocol needs it. */
export interface ConsumerKey {
  privateKey: BytesLike;
}

/** The key with its address and public key: for session.request only (deriving them costs a point multiplication, so not per prompt). */
function userIdentity(privateKey: BytesLike): { key: Uint8Array; address: Address; publicKey: Hex } {
  const key = toBytes(privateKey);
  const pub = publicKeyFromPrivate(key, false);
  return { key, address: publicKeyToAddress(pub), publicKey: bytesToHex(pub) };
}

/** A provider's error reply as an exception: plain text (infrastructure) or the upstream model's error, decrypted. */
function providerError(error: RpcErrorBody, providerPubKey: BytesLike | undefined, userKey: Uint8Array): MorRpcError {
  if (isUnsignedError(error) || providerPubKey === undefined) {
    return new MorRpcError("provider_error", error.message || "provider error without a message");
  }
  if (!verifyErrorSignature(error, providerPubKey)) {
    return new MorRpcError("invalid_signature", "provider error reply with an invalid signature");
  }
  let body: unknown;
  try {
    body = JSON.parse(eciesDecryptFromHex(userKey, error.message));
  } catch (cause) {
    return new MorRpcError("decrypt_failed", "provider error reply could not be decrypted", { cause });
  }
  const upstream = (body as { providerModelError?: unknown })?.providerModelError ?? body;
  const message = (upstream as { error?: { message?: unknown } })?.error?.message;
  return new MorRpcError("upstream_error", typeof message === "string" ? message : "the provider's model returned an error", {
    details: upstream,
  });
}

/** The longest a ping, session.request or session.report may take, whatever the caller asks. */
export const ONE_SHOT_TOTAL_MS = 30_000;
/** A prompt's default wall-clock limit, dial to last byte (per call: timeouts.totalMs). */
export const DEFAULT_PROMPT_TOTAL_MS = 15 * 60_000;

/** ping, session.request and session.report: one response object, then the provider closes. */
async function callOnce<M extends MorRpcMethod>(
  endpoint: string,
  method: M,
  params: ParamsOf<M>,
  userKey: Uint8Array,
  options: ProviderCallOptions,
  providerPubKey?: BytesLike,
): Promise<ResultOf<M>> {
  const wire = encodeRequest(method, options.requestId ?? (method === "network.ping" ? "0" : newRequestId()), params);
  const totalMs = Math.min(options.timeouts?.totalMs ?? ONE_SHOT_TOTAL_MS, ONE_SHOT_TOTAL_MS);
  const responses = sendRequest(endpoint, wire, { ...options, timeouts: { ...options.timeouts, totalMs } });
  let first: RpcResponse | undefined;
  try {
    const next = await responses.next();
    first = next.done ? undefined : next.value;
  } finally {
    await responses.return(undefined); // one object is all we read; close the socket
  }
  if (!first) throw new MorRpcError("connection_closed", `${endpoint} closed without answering ${method}`);
  if (first.error) throw providerError(first.error, providerPubKey, userKey);
  return decodeResult(method, first.result);
}

/** network.ping: checks the pong is signed by `providerAddress` (ecrecover, as Go does). */
export async function pingProvider(
  endpoint: string,
  providerAddress: Address,
  consumer: ConsumerKey,
  options: ProviderCallOptions = {},
): Promise<{ version?: string; latencyMs: number }> {
  const key = toBytes(consumer.privateKey);
  const started = performance.now();
  const nonce = newPingNonce();
  const pong = await callOnce(endpoint, "network.ping", signParams("network.ping", { nonce }, key), key, options);
  if (pong.nonce.toLowerCase() !== nonce) throw new MorRpcError("validation_failed", "pong does not echo the ping nonce");
  if (!verifyPong(pong, providerAddress)) throw new MorRpcError("invalid_signature", `pong is not signed by provider ${providerAddress}`);
  return { version: pong.version, latencyMs: performance.now() - started };
}

export interface SessionApproval {
  /** The provider's uncompressed public key: replies are verified with it. */
  providerPubKey: Hex;
  approval: Hex;
  approvalSig: Hex;
  /** Who signed the approval; openSession succeeds only if it is the bid's provider. */
  approvalSigner: Address;
}

/** session.request: asks the provider to approve a session on `bidId`; the approval is checked to be for this bid, chain and user. */
export async function requestSessionApproval(
  endpoint: string,
  request: { bidId: Hash; chainId: bigint; spend: bigint },
  consumer: ConsumerKey,
  options: ProviderCallOptions = {},
): Promise<SessionApproval> {
  const { key, address, publicKey } = userIdentity(consumer.privateKey);
  const params = signParams(
    "session.request",
    { user: address, key: publicKey, spend: request.spend, timestamp: Date.now(), bidId: request.bidId },
    key,
  );
  const result = await callOnce(endpoint, "session.request", params, key, options);
  const { approvalSigner } = checkSessionResult(result, { bidId: request.bidId, chainId: request.chainId, user: address });
  return { providerPubKey: result.providerPubKey, approval: result.approval, approvalSig: result.approvalSig, approvalSigner };
}

/** A prompt reply's plaintext: a provider that sends anything but JSON is broken (a protocol error, so callers fail over). */
function parseReply(plaintext: string): unknown {
  try {
    return JSON.parse(plaintext) as unknown;
  } catch (cause) {
    throw new MorRpcError("invalid_json", `the provider's reply is not JSON (${plaintext.length} characters)`, { cause });
  }
}

/** One decrypted reply of a prompt: a chunk / whole response, or the end-of-stream marker. */
export type PromptReply = { done: false; data: unknown } | { done: true };

/** A reply after which the answer is complete: a whole completion, or a chunk with a finish_reason or usage. */
function endsAnswer(data: unknown): boolean {
  if (!data || typeof data !== "object" || Array.isArray(data)) return false;
  const reply = data as { object?: unknown; usage?: unknown; choices?: unknown };
  if (reply.object === "chat.completion" || (reply.usage !== undefined && reply.usage !== null)) return true;
  return Array.isArray(reply.choices) && reply.choices.some((c) => (c as { finish_reason?: unknown } | null)?.finish_reason != null);
}

/**
 * session.prompt: sends the OpenAI-style request and yields the decrypted replies until the
 * provider sends "[DONE]" or closes. A streamed request ends with { done: true }: after "[DONE]",
 * or — as the Go consumer accepts, since a Go provider forwards "[DONE]" only when its upstream
 * sends one (its claudeai adapter never does) — when the provider closes cleanly after a reply that
 * ends the answer (a finish_reason, usage or a whole completion). A close before any end (a killed
 * provider) is an error, never a clean end. Every reply is read, streamed or not, so an error after
 * the first reply is never missed. Provider errors throw MorRpcError provider_error / upstream_error.
 */
export async function* promptProvider(
  endpoint: string,
  prompt: { sessionId: Hash; request: Record<string, unknown>; providerPubKey: Hex },
  consumer: ConsumerKey,
  options: ProviderCallOptions = {},
): AsyncGenerator<PromptReply> {
  const key = toBytes(consumer.privateKey);
  const unsigned: Unsigned<ParamsOf<"session.prompt">> = {
    sessionId: prompt.sessionId,
    prompt: JSON.stringify(prompt.request),
    timestamp: Date.now(),
  };
  const wire = encodeRequest("session.prompt", options.requestId ?? newRequestId(), signParams("session.prompt", unsigned, key));
  const streaming = prompt.request.stream === true;
  const timeouts = { totalMs: DEFAULT_PROMPT_TOTAL_MS, ...options.timeouts };
  let replies = 0;
  let ended = false;
  for await (const response of sendRequest(endpoint, wire, { ...options, timeouts })) {
    if (response.error) throw providerError(response.error, prompt.providerPubKey, key);
    // Other streams' replies first, then this one's next (see yieldToEventLoop).
    if (replies > 0) await yieldToEventLoop();
    const result = decodeResult("session.prompt", response.result);
    const data = parseReply(openPromptResult(result, prompt.providerPubKey, key));
    replies++;
    if (data === "[DONE]") {
      yield { done: true };
      return;
    }
    ended = endsAnswer(data);
    yield { done: false, data };
  }
  if (replies === 0) throw new MorRpcError("connection_closed", `${endpoint} closed the connection without a reply`);
  if (!streaming) return;
  if (!ended) throw new MorRpcError("connection_closed", `${endpoint} closed the stream before its end`);
  yield { done: true };
}

/** session.report: the provider-signed usage receipt for closeSession. */
export async function fetchSessionReport(
  endpoint: string,
  /** Without the provider's public key the reply's MOR-RPC signature is not checked (the receipt's own signature still is, on-chain). */
  request: { sessionId: Hash; providerPubKey?: Hex },
  consumer: ConsumerKey,
  options: ProviderCallOptions = {},
): Promise<{ report: Hex; signedReport: Hex }> {
  const key = toBytes(consumer.privateKey);
  const params = signParams("session.report", { sessionId: request.sessionId.toLowerCase(), timestamp: Date.now() }, key);
  const result = await callOnce(endpoint, "session.report", params, key, options, request.providerPubKey);
  if (request.providerPubKey !== undefined && !verifyResult("session.report", result, request.providerPubKey)) {
    throw new MorRpcError("invalid_signature", "session report is not signed by the session's provider");
  }
  return { report: result.report, signedReport: result.signedReport };
}
