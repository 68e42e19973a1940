// MOR-RPC message bodies (the `params` of requests and the `result` of responses), in Go
// struct field order, with their signatures. Mirrors proxy-router morrpcmessage/request.go.
import { randomBytes } from "node:crypto";
import type { Address, Hash, Hex } from "viem";
import { decodeApproval, recoverApprovalSigner, signApproval, type Approval } from "./approval";
import { eciesDecryptFromHex, eciesEncryptToHex } from "./ecies";
import { MorRpcError } from "./errors";
import {
  bytesToHex,
  goField,
  goJsonString,
  isJsonObject,
  jsonString,
  readGoAddress,
  readGoBigInt,
  readGoHash,
  readGoHexString,
  readGoInt,
  readGoString,
  readGoUint,
  toBytes,
  writeGoAddress,
  writeGoBigInt,
  writeGoHash,
  writeGoHexString,
  writeGoInt,
  type BytesLike,
} from "./json";
import { publicKeyFromPrivate, recoverPublicKey } from "./secp";
import { morRpcDigest, publicKeyToAddress, signMorRpc, verifyMorRpcWithAddress, verifyMorRpcWithKey } from "./signing";

// --- message types --------------------------------------------------------------------------

/** network.ping params (PingReq). The provider does not check this signature. */
export interface PingParams {
  nonce: Hex;
  signature?: Hex;
}

/** network.ping result (PongRes), checked by ecrecover against the provider address. */
export interface PongResult {
  nonce: Hex;
  /** Provider build version; omitted by providers older than 2026-03. */
  version?: string;
  signature?: Hex;
}

/** session.request params (SessionReq), signed by the user and checked against `key`. */
export interface SessionRequestParams {
  signature?: Hex;
  user: Address;
  /** The user's uncompressed public key 0x04‖X‖Y; provider replies are encrypted to it. */
  key: Hex;
  /** Covered by the signature only; the provider ignores it. */
  spend: bigint;
  /** Unix milliseconds. */
  timestamp: number;
  bidId: Hash;
}

/** session.request result (SessionRes), checked against `providerPubKey` in the same object. */
export interface SessionResult {
  /** JSON key "message": the provider's uncompressed public key. */
  providerPubKey: Hex;
  approval: Hex;
  approvalSig: Hex;
  user: Address;
  timestamp: number;
  signature?: Hex;
}

/** session.prompt params (SessionPromptReq). The prompt travels in plaintext. */
export interface PromptParams {
  signature?: Hex;
  sessionId: Hash;
  /** JSON key "message": the OpenAI-style request as JSON text. */
  prompt: string;
  timestamp: number;
}

/** One session.prompt result (SessionPromptRes / InferenceRes). */
export interface PromptResult {
  /** JSON key "message": ECIES ciphertext as lowercase hex without 0x. */
  ciphertext: string;
  signature?: Hex;
  timestamp: number;
}

/** session.report params (SessionReportReq). */
export interface ReportParams {
  signature?: Hex;
  /** JSON key "message": the session id as sent (Go keeps the string verbatim, validated as hex). */
  sessionId: string;
  timestamp: number;
}

/** session.report result (SessionReportRes). */
export interface ReportResult {
  /** JSON key "message": the ABI-encoded report (see approval.ts). */
  report: Hex;
  signedReport: Hex;
  signature?: Hex;
  timestamp: number;
}

/** The `error` object of a response (RpcError). */
export interface RpcErrorBody {
  message: string;
  code: number;
  data: { timestamp: number; signature: Hex };
}

export type Unsigned<T> = Omit<T, "signature">;

// --- schema-driven Go JSON codecs -------------------------------------------------------------

type FieldKind = "hex" | "address" | "hash" | "bigint" | "uint" | "string" | "hexText";

interface FieldSpec<T> {
  prop: keyof T & string;
  json: string;
  kind: FieldKind;
  /** Go `json:",omitempty"`: the zero value is left out. */
  omitEmpty?: boolean;
  /** Go `validate:"required"`: the zero value is refused when reading. */
  required?: boolean;
}

/** Reads and writes one message body exactly as Go's json.Marshal / json.Unmarshal do. */
export interface MessageCodec<T> {
  readonly name: string;
  /**
   * The wire form: Go's field order and value encodings, but standard JSON string escaping
   * (Go escapes < > & as \u003c…; both decode to the same value, and no one hashes wire bytes).
   */
  encode(message: T): string;
  /** Go's json.Marshal with the signature emptied, byte for byte: what the signature covers. */
  signedBytes(message: T): string;
  /** json.Unmarshal plus the `required` checks; values come back in Go's canonical form. */
  decode(value: unknown): T;
}

const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
const ZERO_HASH = `0x${"0".repeat(64)}`;
const GO_HEXADECIMAL = /^(0[xX])?[0-9a-fA-F]+$/;

function isZero(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case "hex":
      return value === undefined || value === "0x";
    case "address":
      return value === undefined || value === ZERO_ADDRESS;
    case "hash":
      return value === undefined || value === ZERO_HASH;
    case "bigint":
      return value === undefined || value === 0n;
    case "uint":
      return value === undefined || value === 0;
    case "string":
    case "hexText":
      return value === undefined || value === "";
  }
}

/** `str` is jsonString on the wire and goJsonString for signed bytes (see encode/signedBytes). */
function writeValue(kind: FieldKind, value: unknown, str: (s: string) => string): string {
  switch (kind) {
    case "hex":
      return writeGoHexString((value ?? "0x") as Hex);
    case "address":
      return writeGoAddress((value ?? ZERO_ADDRESS) as Address);
    case "hash":
      return writeGoHash((value ?? ZERO_HASH) as Hash);
    case "bigint":
      return writeGoBigInt((value ?? 0n) as bigint);
    case "uint":
      return writeGoInt((value ?? 0) as number);
    case "string":
    case "hexText":
      return str((value ?? "") as string);
  }
}

function readValue(kind: FieldKind, raw: unknown, field: string): unknown {
  switch (kind) {
    case "hex":
      return readGoHexString(raw, field);
    case "address":
      return readGoAddress(raw, field);
    case "hash":
      return readGoHash(raw, field);
    case "bigint":
      return readGoBigInt(raw, field);
    case "uint":
      return readGoUint(raw, field);
    case "string":
      return readGoString(raw, field);
    case "hexText": {
      const text = readGoString(raw, field);
      if (text !== "" && !GO_HEXADECIMAL.test(text)) {
        throw new MorRpcError("validation_failed", `${field}: expected hexadecimal text`);
      }
      return text;
    }
  }
}

function defineMessage<T>(name: string, fields: readonly FieldSpec<T>[]): MessageCodec<T> {
  const marshal = (message: T, forSigning: boolean): string => {
    const values = message as Record<string, unknown>;
    const str = forSigning ? goJsonString : jsonString;
    const parts: string[] = [];
    for (const f of fields) {
      const value = forSigning && f.prop === "signature" ? undefined : values[f.prop];
      if (f.omitEmpty && isZero(f.kind, value)) continue;
      parts.push(`"${f.json}":${writeValue(f.kind, value, str)}`);
    }
    return `{${parts.join(",")}}`;
  };
  return {
    name,
    encode: (message) => marshal(message, false),
    signedBytes: (message) => marshal(message, true),
    decode(value) {
      if (!isJsonObject(value)) throw new MorRpcError("invalid_json", `${name}: expected a JSON object`);
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        const raw = goField(value, f.json);
        // Go leaves a field at its zero value when the key is absent or null.
        const decoded = raw === undefined || raw === null ? undefined : readValue(f.kind, raw, f.json);
        if (f.required && isZero(f.kind, decoded)) {
          throw new MorRpcError("validation_failed", `${f.json}: required`);
        }
        if (decoded !== undefined) out[f.prop] = decoded;
      }
      return out as T;
    },
  };
}

const signature = (omitEmpty: boolean) => ({ prop: "signature", json: "signature", kind: "hex", omitEmpty }) as const;

export const pingParamsCodec = defineMessage<PingParams>("network.ping params", [
  { prop: "nonce", json: "nonce", kind: "hex", required: true },
  signature(false),
]);

export const pongResultCodec = defineMessage<PongResult>("network.ping result", [
  { prop: "nonce", json: "nonce", kind: "hex", required: true },
  { prop: "version", json: "version", kind: "string", omitEmpty: true },
  signature(false),
]);

export const sessionRequestParamsCodec = defineMessage<SessionRequestParams>("session.request params", [
  signature(true),
  { prop: "user", json: "user", kind: "address", required: true },
  { prop: "key", json: "key", kind: "hex", required: true },
  { prop: "spend", json: "spend", kind: "bigint" },
  { prop: "timestamp", json: "timestamp", kind: "uint", required: true },
  { prop: "bidId", json: "bidid", kind: "hash", required: true },
]);

export const sessionResultCodec = defineMessage<SessionResult>("session.request result", [
  { prop: "providerPubKey", json: "message", kind: "hex", required: true },
  { prop: "approval", json: "approval", kind: "hex", required: true },
  { prop: "approvalSig", json: "approvalSig", kind: "hex", required: true },
  { prop: "user", json: "user", kind: "address", required: true },
  { prop: "timestamp", json: "timestamp", kind: "uint", required: true },
  signature(true),
]);

export const promptParamsCodec = defineMessage<PromptParams>("session.prompt params", [
  signature(true),
  { prop: "sessionId", json: "sessionid", kind: "hash", required: true },
  { prop: "prompt", json: "message", kind: "string", required: true },
  { prop: "timestamp", json: "timestamp", kind: "uint", required: true },
]);

export const promptResultCodec = defineMessage<PromptResult>("session.prompt result", [
  { prop: "ciphertext", json: "message", kind: "string" },
  signature(true),
  { prop: "timestamp", json: "timestamp", kind: "uint", required: true },
]);

export const reportParamsCodec = defineMessage<ReportParams>("session.report params", [
  signature(true),
  { prop: "sessionId", json: "message", kind: "hexText", required: true },
  { prop: "timestamp", json: "timestamp", kind: "uint", required: true },
]);

export const reportResultCodec = defineMessage<ReportResult>("session.report result", [
  { prop: "report", json: "message", kind: "hex", required: true },
  { prop: "signedReport", json: "signedReport", kind: "hex", required: true },
  signature(true),
  { prop: "timestamp", json: "timestamp", kind: "uint", required: true },
]);

// RpcError nests RPCErrorData, whose signature has no omitempty.
export const rpcErrorCodec: MessageCodec<RpcErrorBody> = (() => {
  const marshal = (e: RpcErrorBody, forSigning: boolean): string =>
    `{"message":${(forSigning ? goJsonString : jsonString)(e.message)},"code":${writeGoInt(e.code)},"data":{"timestamp":${writeGoInt(
      e.data.timestamp,
    )},"signature":${writeGoHexString(forSigning ? "0x" : e.data.signature)}}}`;
  return {
    name: "error",
    encode: (e) => marshal(e, false),
    signedBytes: (e) => marshal(e, true),
    decode(value) {
      if (!isJsonObject(value)) throw new MorRpcError("invalid_json", "error: expected a JSON object");
      const data = goField(value, "data") ?? {};
      if (!isJsonObject(data)) throw new MorRpcError("invalid_json", "error.data: expected a JSON object");
      const message = goField(value, "message");
      const code = goField(value, "code");
      const timestamp = goField(data, "timestamp");
      const sig = goField(data, "signature");
      return {
        message: message == null ? "" : readGoString(message, "error.message"),
        code: code == null ? 0 : readGoInt(code, "error.code"),
        data: {
          timestamp: timestamp == null ? 0 : readGoUint(timestamp, "error.data.timestamp"),
          signature: sig == null ? "0x" : readGoHexString(sig, "error.data.signature"),
        },
      };
    },
  };
})();

// --- methods ------------------------------------------------------------------------------------

export interface MorRpcCalls {
  "network.ping": { params: PingParams; result: PongResult };
  "session.request": { params: SessionRequestParams; result: SessionResult };
  "session.prompt": { params: PromptParams; result: PromptResult };
  "session.report": { params: ReportParams; result: ReportResult };
}

export type MorRpcMethod = keyof MorRpcCalls;
export type ParamsOf<M extends MorRpcMethod> = MorRpcCalls[M]["params"];
export type ResultOf<M extends MorRpcMethod> = MorRpcCalls[M]["result"];

const CODECS: { [M in MorRpcMethod]: { params: MessageCodec<ParamsOf<M>>; result: MessageCodec<ResultOf<M>> } } = {
  "network.ping": { params: pingParamsCodec, result: pongResultCodec },
  "session.request": { params: sessionRequestParamsCodec, result: sessionResultCodec },
  "session.prompt": { params: promptParamsCodec, result: promptResultCodec },
  "session.report": { params: reportParamsCodec, result: reportResultCodec },
};

export function isMorRpcMethod(method: string): method is MorRpcMethod {
  return Object.hasOwn(CODECS, method);
}

export function paramsCodec<M extends MorRpcMethod>(method: M): MessageCodec<ParamsOf<M>> {
  return CODECS[method].params;
}

export function resultCodec<M extends MorRpcMethod>(method: M): MessageCodec<ResultOf<M>> {
  return CODECS[method].result;
}

// --- signing ------------------------------------------------------------------------------------

function signWith<T extends { signature?: Hex }>(codec: MessageCodec<T>, message: Unsigned<T>, privateKey: BytesLike): T {
  const unsigned = message as T;
  return { ...unsigned, signature: signMorRpc(codec.signedBytes(unsigned), privateKey) };
}

function verifyWith<T extends { signature?: Hex }>(codec: MessageCodec<T>, message: T, publicKey: BytesLike): boolean {
  return message.signature !== undefined && verifyMorRpcWithKey(codec.signedBytes(message), message.signature, publicKey);
}

/** Signs request params with the user key. */
export function signParams<M extends MorRpcMethod>(method: M, params: Unsigned<ParamsOf<M>>, userKey: BytesLike): ParamsOf<M> {
  return signWith(paramsCodec(method), params, userKey);
}

/** Signs a result with the provider key. */
export function signResult<M extends MorRpcMethod>(method: M, result: Unsigned<ResultOf<M>>, providerKey: BytesLike): ResultOf<M> {
  return signWith(resultCodec(method), result, providerKey);
}

/**
 * Checks request params against a public key: session.request against its own `key`,
 * prompt and report against the user key stored at session.request.
 */
export function verifyParams<M extends MorRpcMethod>(method: M, params: ParamsOf<M>, userPubKey: BytesLike): boolean {
  return verifyWith(paramsCodec(method), params, userPubKey);
}

/**
 * The public keys (uncompressed, 0x04…) that could have signed these params: Go verification
 * ignores v, so both recovery ids are candidates. Lets a provider find the signer among the users
 * it knows before any chain read; an unusable signature gives none.
 */
export function paramsSignerCandidates<M extends MorRpcMethod>(method: M, params: ParamsOf<M>): Hex[] {
  const sig = params.signature === undefined ? null : (() => {
    try {
      return toBytes(params.signature);
    } catch {
      return null;
    }
  })();
  if (sig === null || sig.length !== 65) return [];
  const digest = morRpcDigest(paramsCodec(method).signedBytes(params));
  const candidates: Hex[] = [];
  for (const recid of [0, 1]) {
    const candidate = new Uint8Array(sig);
    candidate[64] = recid;
    const pub = recoverPublicKey(candidate, digest);
    if (pub !== null) candidates.push(bytesToHex(pub));
  }
  return candidates;
}

/**
 * Checks a result against the provider's public key (for session.request: the `providerPubKey`
 * inside the result itself). A pong is checked by address instead: verifyPong.
 */
export function verifyResult<M extends MorRpcMethod>(method: M, result: ResultOf<M>, providerPubKey: BytesLike): boolean {
  return verifyWith(resultCodec(method), result, providerPubKey);
}

/** The consumer's pong check: ecrecover (v ∈ {0,1}) must give the provider's address. */
export function verifyPong(pong: PongResult, providerAddress: Address): boolean {
  return (
    pong.signature !== undefined &&
    verifyMorRpcWithAddress(pongResultCodec.signedBytes(pong), pong.signature, providerAddress)
  );
}

// --- errors -------------------------------------------------------------------------------------

/** An infrastructure error: plain text, unsigned (signature 0x00). Go always uses code 400. */
export function infraError(message: string, timestamp: number = Date.now()): RpcErrorBody {
  return { message, code: 400, data: { timestamp, signature: "0x00" } };
}

/** Unsigned, plain text: "0x00" (what Go writes) or an empty signature, which the Go consumer also reads as unsigned. */
export function isUnsignedError(error: RpcErrorBody): boolean {
  const signature = error.data.signature.toLowerCase();
  return signature === "0x00" || signature === "0x" || signature === "";
}

/** An upstream LLM error: `message` is the ECIES ciphertext hex (no 0x), signed by the provider. */
export function signUpstreamError(ciphertext: string, providerKey: BytesLike, timestamp: number = Date.now()): RpcErrorBody {
  const unsigned: RpcErrorBody = { message: ciphertext, code: 400, data: { timestamp, signature: "0x" } };
  const sig = signMorRpc(rpcErrorCodec.signedBytes(unsigned), providerKey);
  return { ...unsigned, data: { timestamp, signature: sig } };
}

export function verifyErrorSignature(error: RpcErrorBody, providerPubKey: BytesLike): boolean {
  return !isUnsignedError(error) && verifyMorRpcWithKey(rpcErrorCodec.signedBytes(error), error.data.signature, providerPubKey);
}

// --- ids ------------------------------------------------------------------------------------------

/** lib.GenerateRequestID: 8 lowercase hex characters. (Go's consumer uses "0" for pings.) */
export function newRequestId(): string {
  return randomBytes(4).toString("hex");
}

/** A ping nonce: 8 random bytes. */
export function newPingNonce(): Hex {
  return `0x${randomBytes(8).toString("hex")}`;
}

// --- the per-session steps that combine signing with encryption or approvals -------------------

/** Provider, per streamed chunk: encrypt the chunk JSON to the user's key and sign the result. */
export function sealPromptResult(
  plaintext: string,
  userPubKey: BytesLike,
  providerKey: BytesLike,
  timestamp: number = Date.now(),
): PromptResult {
  return signResult("session.prompt", { ciphertext: eciesEncryptToHex(userPubKey, plaintext), timestamp }, providerKey);
}

/** Consumer, per streamed chunk: check the provider's signature, then decrypt. Throws MorRpcError. */
export function openPromptResult(result: PromptResult, providerPubKey: BytesLike, userKey: BytesLike): string {
  if (!verifyResult("session.prompt", result, providerPubKey)) {
    throw new MorRpcError("invalid_signature", "prompt result: invalid provider signature");
  }
  return eciesDecryptFromHex(userKey, result.ciphertext);
}

/** Provider: answer session.request with a signed approval for openSession. */
export function createSessionResult(
  approval: Approval,
  providerKey: BytesLike,
  timestamp: number = Date.now(),
): SessionResult {
  const key = toBytes(providerKey);
  const { approval: encoded, approvalSig } = signApproval(approval, key);
  return signResult(
    "session.request",
    { providerPubKey: bytesToHex(publicKeyFromPrivate(key, false)), approval: encoded, approvalSig, user: approval.user, timestamp },
    key,
  );
}

/**
 * Consumer: check a SessionRes the way Go does (signature by its own `providerPubKey`) and,
 * stricter, that the approval is for the bid, chain and user asked for. Returns the approval
 * signer for the caller to match against the bid's provider (or a delegate). Throws MorRpcError.
 */
export function checkSessionResult(
  result: SessionResult,
  expected: { bidId: Hash; chainId: bigint; user: Address },
): { approval: Approval; approvalSigner: Address } {
  if (!verifyResult("session.request", result, result.providerPubKey)) {
    throw new MorRpcError("invalid_signature", "received invalid signature from provider");
  }
  const approval = decodeApproval(result.approval);
  if (
    approval.bidId.toLowerCase() !== expected.bidId.toLowerCase() ||
    approval.chainId !== expected.chainId ||
    approval.user !== expected.user.toLowerCase()
  ) {
    throw new MorRpcError("validation_failed", "approval does not match the requested bid, chain or user");
  }
  const approvalSigner = recoverApprovalSigner(result.approval, result.approvalSig);
  if (approvalSigner === null) throw new MorRpcError("invalid_signature", "approvalSig does not recover");
  // Replies are verified with providerPubKey from here on: it must be the key of whoever signed the
  // approval (the bid's provider or one the contract accepts for it), or anyone could answer for them.
  const pub = toBytes(result.providerPubKey);
  if (pub.length !== 65 || pub[0] !== 0x04 || publicKeyToAddress(pub) !== approvalSigner) {
    throw new MorRpcError("invalid_signature", `the provider's public key is not the key of the approval's signer ${approvalSigner}`);
  }
  return { approval, approvalSigner };
}
