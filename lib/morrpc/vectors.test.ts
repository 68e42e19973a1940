// The shared MOR-RPC test vectors, byte for byte. testdata/mor-rpc.json is a verbatim copy of the
// team's shared/specs/vectors/mor-rpc.json, vendored so a fresh checkout (CI) has it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hash, Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  checkSessionResult,
  createSessionResult,
  decodeParams,
  decodeReport,
  decodeResult,
  eciesDecryptFromHex,
  eciesEncryptToHex,
  encodeError,
  encodeRequest,
  encodeResult,
  hexToBytes,
  infraError,
  isUnsignedError,
  paramsCodec,
  parseRequest,
  parseResponse,
  publicKeyFromPrivate,
  publicKeyToAddress,
  bytesToHex,
  recoverApprovalSigner,
  recoverReportSigner,
  resultCodec,
  signApproval,
  signParams,
  signReport,
  signResult,
  verifyParams,
  verifyPong,
  verifyResult,
  type PromptResult,
  type ReportResult,
} from "./index";

const vectorsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "testdata", "mor-rpc.json");
const v = JSON.parse(readFileSync(vectorsPath, "utf8"));

const userKey = v.keys.userPriv as Hex;
const providerKey = v.keys.providerPriv as Hex;
const userPub = v.keys.userPub as Hex;
const providerPub = v.keys.providerPub as Hex;

function approvalTimestamp(approvalHex: string): bigint {
  return BigInt(`0x${approvalHex.slice(-64)}`);
}

describe("MOR-RPC vectors", () => {
  it("keys: public keys and addresses derive from the private keys", () => {
    expect(bytesToHex(publicKeyFromPrivate(hexToBytes(userKey)))).toBe(userPub);
    expect(bytesToHex(publicKeyFromPrivate(hexToBytes(providerKey)))).toBe(providerPub);
    expect(publicKeyToAddress(userPub)).toBe(v.keys.userAddr);
    expect(publicKeyToAddress(providerPub)).toBe(v.keys.providerAddr);
  });

  it("network.ping request", () => {
    const params = signParams("network.ping", { nonce: "0x0102030405060708" }, userKey);
    expect(paramsCodec("network.ping").signedBytes(params)).toBe(v.ping.signedBytes);
    expect(params.signature).toBe(v.ping.signature);
    expect(encodeRequest("network.ping", "0", params)).toBe(v.ping.wire);
    const req = parseRequest(v.ping.wire);
    expect(req).toMatchObject({ id: "0", method: "network.ping" });
    expect(encodeRequest("network.ping", req.id, decodeParams("network.ping", req.params))).toBe(v.ping.wire);
  });

  it("network.ping result", () => {
    const pong = signResult("network.ping", { nonce: "0x0102030405060708", version: "v5.0.0" }, providerKey);
    expect(resultCodec("network.ping").signedBytes(pong)).toBe(v.pong.signedBytes);
    expect(pong.signature).toBe(v.pong.signature);
    expect(encodeResult("network.ping", "0", pong)).toBe(v.pong.wire);
    const res = parseResponse(v.pong.wire);
    const decoded = decodeResult("network.ping", res.result);
    expect(verifyPong(decoded, v.keys.providerAddr)).toBe(true);
    expect(verifyPong(decoded, v.keys.userAddr)).toBe(false);
  });

  it("session.request request", () => {
    const params = signParams(
      "session.request",
      {
        user: v.keys.userAddr,
        key: userPub,
        spend: 270233162839357259772n,
        timestamp: 1719253477054,
        bidId: `0x${"ab".repeat(32)}`,
      },
      userKey,
    );
    expect(paramsCodec("session.request").signedBytes(params)).toBe(v.sessionRequest.signedBytes);
    expect(params.signature).toBe(v.sessionRequest.signature);
    expect(encodeRequest("session.request", "a1b2c3d4", params)).toBe(v.sessionRequest.wire);
    const req = parseRequest(v.sessionRequest.wire);
    const decoded = decodeParams("session.request", req.params);
    expect(decoded).toEqual(params);
    expect(verifyParams("session.request", decoded, decoded.key)).toBe(true);
  });

  it("session.request result with approval", () => {
    const r = v.sessionResponse;
    const bidId = `0x${"ab".repeat(32)}` as Hash;
    const approval = { bidId, chainId: BigInt(r.chainId), user: v.keys.userAddr as Address, timestamp: approvalTimestamp(r.approval) };
    expect(signApproval(approval, providerKey)).toEqual({ approval: r.approval, approvalSig: r.approvalSig });
    expect(recoverApprovalSigner(r.approval, r.approvalSig)).toBe(v.keys.providerAddr);

    const timestamp = JSON.parse(r.signedBytes).timestamp as number;
    const result = createSessionResult(approval, providerKey, timestamp);
    expect(resultCodec("session.request").signedBytes(result)).toBe(r.signedBytes);
    expect(result.signature).toBe(r.signature);
    expect(encodeResult("session.request", "a1b2c3d4", result)).toBe(r.wire);

    const decoded = decodeResult("session.request", parseResponse(r.wire).result);
    expect(verifyResult("session.request", decoded, decoded.providerPubKey)).toBe(true);
    const checked = checkSessionResult(decoded, { bidId, chainId: 42161n, user: v.keys.userAddr });
    expect(checked.approvalSigner).toBe(v.keys.providerAddr);
  });

  it("session.prompt request (Go escaping in the signed bytes, re-marshalled on verify)", () => {
    const p = v.sessionPrompt;
    const params = signParams(
      "session.prompt",
      { sessionId: `0x${"cd".repeat(32)}`, prompt: p.promptPlain, timestamp: 1719253477054 },
      userKey,
    );
    expect(paramsCodec("session.prompt").signedBytes(params)).toBe(p.signedBytes);
    expect(params.signature).toBe(p.signature);
    expect(encodeRequest("session.prompt", "deadbeef", params)).toBe(p.wire);
    const decoded = decodeParams("session.prompt", parseRequest(p.wire).params);
    expect(decoded.prompt).toBe(p.promptPlain);
    expect(verifyParams("session.prompt", decoded, userPub)).toBe(true);
    expect(verifyParams("session.prompt", decoded, providerPub)).toBe(false);
  });

  it("session.prompt result: ECIES chunk with fixed ephemeral key and IV", () => {
    const c = v.promptResponseChunk;
    const ciphertext = eciesEncryptToHex(userPub, c.plaintext, {
      ephemeralPrivateKey: hexToBytes(c.ephemeralPriv),
      iv: hexToBytes(c.iv),
    });
    expect(ciphertext).toBe(c.ciphertextHex);
    expect(ciphertext.length / 2).toBe(c.ciphertextLen);
    expect(eciesDecryptFromHex(userKey, c.ciphertextHex)).toBe(c.plaintext);

    const result = signResult("session.prompt", { ciphertext, timestamp: 1719253477054 }, providerKey);
    expect(resultCodec("session.prompt").signedBytes(result)).toBe(c.signedBytes);
    expect(result.signature).toBe(c.signature);
    expect(encodeResult("session.prompt", "deadbeef", result)).toBe(c.wire);
    const decoded: PromptResult = decodeResult("session.prompt", parseResponse(c.wire).result);
    expect(verifyResult("session.prompt", decoded, providerPub)).toBe(true);
  });

  it("[DONE] marker round-trips through ECIES", () => {
    const ct = eciesEncryptToHex(userPub, v.doneMarkerPlaintext);
    expect(eciesDecryptFromHex(userKey, ct)).toBe('"[DONE]"');
  });

  it("session.report request", () => {
    const r = v.sessionReportRequest;
    const params = signParams("session.report", { sessionId: `0x${"cd".repeat(32)}`, timestamp: 1719253477054 }, userKey);
    expect(paramsCodec("session.report").signedBytes(params)).toBe(r.signedBytes);
    expect(params.signature).toBe(r.signature);
    const decoded = decodeParams("session.report", parseRequest(encodeRequest("session.report", "x", params)).params);
    expect(verifyParams("session.report", decoded, userPub)).toBe(true);
  });

  it("session.report result", () => {
    const r = v.sessionReportResponse;
    const report = decodeReport(r.report);
    expect(report).toEqual({
      sessionId: `0x${"cd".repeat(32)}`,
      chainId: 42161n,
      timestamp: report.timestamp,
      tpsScaled1000: 12345,
      ttftMs: 850,
      inputTokens: 100,
      outputTokens: 200,
    });
    expect(signReport(report, providerKey)).toEqual({ report: r.report, signedReport: r.signedReport });
    expect(recoverReportSigner(r.report, r.signedReport)).toBe(v.keys.providerAddr);

    const timestamp = JSON.parse(r.signedBytes).timestamp as number;
    const result: ReportResult = signResult("session.report", { report: r.report, signedReport: r.signedReport, timestamp }, providerKey);
    expect(resultCodec("session.report").signedBytes(result)).toBe(r.signedBytes);
    expect(result.signature).toBe(r.signature);
    const decoded = decodeResult("session.report", parseResponse(encodeResult("session.report", "x", result)).result);
    expect(verifyResult("session.report", decoded, providerPub)).toBe(true);
  });

  it("infrastructure error", () => {
    expect(encodeError("deadbeef", infraError("session expired", 1719253477054))).toBe(v.infraErrorWire);
    const res = parseResponse(v.infraErrorWire);
    expect(res.result).toBeNull();
    expect(res.error).toEqual(infraError("session expired", 1719253477054));
    expect(isUnsignedError(res.error!)).toBe(true);
  });
});
