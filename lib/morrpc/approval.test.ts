import type { Address, Hash, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { decodeApproval, encodeApproval, recoverApprovalSigner, recoverReportSigner, signApproval, signReport } from "./approval";
import { bytesToHex } from "./json";
import { createPrivateKey, publicKeyFromPrivate } from "./secp";
import { publicKeyToAddress } from "./signing";

const key = createPrivateKey();
const signer = publicKeyToAddress(bytesToHex(publicKeyFromPrivate(key)));
const approval = { bidId: `0x${"ee".repeat(32)}` as Hash, chainId: 421614n, user: `0x${"11".repeat(20)}` as Address, timestamp: 1_719_253_478_000n };

describe("approval and report signatures (EIP-191, v 27/28)", () => {
  it("encode to 128 and 224 bytes and decode back", () => {
    expect((encodeApproval(approval).length - 2) / 2).toBe(128);
    expect(decodeApproval(encodeApproval(approval))).toEqual(approval);
    const { report } = signReport(
      { sessionId: approval.bidId, chainId: 1n, timestamp: 1n, tpsScaled1000: 1, ttftMs: 2, inputTokens: 3, outputTokens: 4 },
      key,
    );
    expect((report.length - 2) / 2).toBe(224);
  });

  it("recover the signer, and nobody for a changed payload or a malformed signature", () => {
    const signed = signApproval(approval, key);
    expect(["1b", "1c"]).toContain(signed.approvalSig.slice(-2));
    expect(recoverApprovalSigner(signed.approval, signed.approvalSig)).toBe(signer);
    const changed = encodeApproval({ ...approval, chainId: 1n });
    expect(recoverApprovalSigner(changed, signed.approvalSig)).not.toBe(signer);
    const v01 = `${signed.approvalSig.slice(0, 130)}0${Number(signed.approvalSig.slice(-2) === "1c")}` as Hex;
    expect(recoverApprovalSigner(signed.approval, v01)).toBeNull(); // the contract wants 27/28
    expect(recoverReportSigner(signed.approval, "0x1234")).toBeNull();
  });
});
