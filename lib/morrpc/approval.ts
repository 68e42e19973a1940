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
  /** Unix milliseconds, as the Go provider writes it (the contract's TTL check assumes seconds; see spec §6). */
  timestamp: bigint;
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

export function decodeReport(encoded: Hex): SessionReport {
  if (hexToBytes(encoded).length !== 224) throw new MorRpcError("validation_failed", "report: expected 224 bytes");
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
