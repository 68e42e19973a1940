// The two payloads the SessionRouter contract checks: the provider's approval (openSession)
// and the session report (closeSession), each ABI-encoded and signed with EIP-191 personal_sign
// over keccak256(encoded) — Go's SignEthMessageV2, v ∈ {27,28}.
import { decodeAbiParameters, encodeAbiParameters, type Address, type Hash, type Hex } from "viem";
import { MorRpcError } from "./errors";
import { hexToBytes, type BytesLike } from "./json";
import { keccak256Bytes, recoverPersonalHashSigner, signPersonalHash } from "./signing";

const APPROVAL_ABI = [
  { type: "bytes32", name: "bidId" },
  { type: "uint256", name: "chainId" },
  { type: "address", name: "user" },
  { type: "uint128", name: "timestamp" },
] as const;

/** Receipts of Go providers up to v5.9.0: the first five fields (160 bytes), which is all the contract reads. */
const REPORT_V1_ABI = [
  { type: "bytes32", name: "sessionId" },
  { type: "uint256", name: "chainId" },
  { type: "uint128", name: "timestamp" },
  { type: "uint32", name: "tpsScaled1000" },
  { type: "uint32", name: "ttftMs" },
] as const;

const REPORT_ABI = [
  { type: "bytes32", name: "sessionId" },
  { type: "uint256", name: "chainId" },
  { type: "uint128", name: "timestamp" },
  { type: "uint32", name: "tpsScaled1000" },
  { type: "uint32", name: "ttftMs" },
  { type: "uint32", name: "inputTokens" },
  { type: "uint32", name: "outputTokens" },
] as const;

export interface Approval {
  bidId: Hash;
  chainId: bigint;
  user: Address;
  /** Unix seconds of chain time (ours) or milliseconds (the Go provider's); see isApprovalFresh. */
  timestamp: bigint;
}

/** The contract's SIGNATURE_TTL: openSession refuses an approval once block.timestamp passes its timestamp by this. */
export const APPROVAL_TTL_SECONDS = 600n;
/** An approval timestamp above this is in milliseconds: as seconds it would be after the year 5000. */
const MILLISECOND_TIMESTAMPS_FROM = 100_000_000_000n;

/**
 * Whether openSession will still take an approval at chain time `now` (seconds). We write seconds,
 * the contract's unit, so our approvals really expire after the TTL. The Go node writes
 * milliseconds, which the contract's check (block.timestamp <= timestamp + TTL) never refuses, so
 * a consumer must accept those too, as the contract does: refusing them would refuse every Go provider.
 */
export function isApprovalFresh(timestamp: bigint, now: bigint): boolean {
  if (timestamp >= MILLISECOND_TIMESTAMPS_FROM) return true;
  return now <= timestamp + APPROVAL_TTL_SECONDS;
}

export interface SessionReport {
  sessionId: Hash;
  chainId: bigint;
  /** Unix seconds (chain time), which the contract compares with block.timestamp; the Go node writes milliseconds. */
  timestamp: bigint;
  tpsScaled1000: number;
  ttftMs: number;
  inputTokens: number;
  outputTokens: number;
}

export function encodeApproval(approval: Approval): Hex {
  return encodeAbiParameters(APPROVAL_ABI, [approval.bidId, approval.chainId, approval.user, approval.timestamp]);
}

export function decodeApproval(encoded: Hex): Approval {
  if (hexToBytes(encoded).length !== 128) throw new MorRpcError("validation_failed", "approval: expected 128 bytes");
  const [bidId, chainId, user, timestamp] = decodeAbiParameters(APPROVAL_ABI, encoded);
  return { bidId, chainId, user: user.toLowerCase() as Address, timestamp };
}

export function encodeReport(report: SessionReport): Hex {
  return encodeAbiParameters(REPORT_ABI, [
    report.sessionId,
    report.chainId,
    report.timestamp,
    report.tpsScaled1000,
    report.ttftMs,
    report.inputTokens,
    report.outputTokens,
  ]);
}

/** A receipt: 7 fields (224 bytes), or the 5 of Go providers up to v5.9.0 (160 bytes; token counts then read 0). */
export function decodeReport(encoded: Hex): SessionReport {
  const length = hexToBytes(encoded).length;
  if (length === 160) {
    const [sessionId, chainId, timestamp, tpsScaled1000, ttftMs] = decodeAbiParameters(REPORT_V1_ABI, encoded);
    return { sessionId, chainId, timestamp, tpsScaled1000, ttftMs, inputTokens: 0, outputTokens: 0 };
  }
  if (length !== 224) throw new MorRpcError("validation_failed", "report: expected 224 bytes (or 160 from Go providers up to v5.9.0)");
  const [sessionId, chainId, timestamp, tpsScaled1000, ttftMs, inputTokens, outputTokens] = decodeAbiParameters(
    REPORT_ABI,
    encoded,
  );
  return { sessionId, chainId, timestamp, tpsScaled1000, ttftMs, inputTokens, outputTokens };
}

function signEncoded(encoded: Hex, privateKey: BytesLike): Hex {
  return signPersonalHash(keccak256Bytes(hexToBytes(encoded)), privateKey);
}

function recoverEncodedSigner(encoded: Hex, signature: BytesLike): Address | null {
  return recoverPersonalHashSigner(keccak256Bytes(hexToBytes(encoded)), signature);
}

/** The provider's session approval for openSession(…, approval, approvalSig). */
export function signApproval(approval: Approval, providerKey: BytesLike): { approval: Hex; approvalSig: Hex } {
  const encoded = encodeApproval(approval);
  return { approval: encoded, approvalSig: signEncoded(encoded, providerKey) };
}

/** Who signed an approval, as the contract's ECDSA.recover sees it; null if the signature is unusable. */
export function recoverApprovalSigner(approval: Hex, approvalSig: BytesLike): Address | null {
  return recoverEncodedSigner(approval, approvalSig);
}

/** The signed report for closeSession(report, signedReport). */
export function signReport(report: SessionReport, signerKey: BytesLike): { report: Hex; signedReport: Hex } {
  const encoded = encodeReport(report);
  return { report: encoded, signedReport: signEncoded(encoded, signerKey) };
}

export function recoverReportSigner(report: Hex, signedReport: BytesLike): Address | null {
  return recoverEncodedSigner(report, signedReport);
}
