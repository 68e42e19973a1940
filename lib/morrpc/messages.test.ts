import type { Address, Hash, Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  bytesToHex,
  checkSessionResult,
  createPrivateKey,
  createSessionResult,
  decodeParams,
  decodeResult,
  encodeError,
  encodeRequest,
  encodeResult,
  eciesDecryptFromHex,
  eciesEncryptToHex,
  isUnsignedError,
  MorRpcError,
  newPingNonce,
  newRequestId,
  openPromptResult,
  parseRequest,
  parseResponse,
  publicKeyFromPrivate,
  publicKeyToAddress,
  recoverApprovalSigner,
  sealPromptResult,
  signParams,
  signResult,
  signUpstreamError,
  verifyErrorSignature,
  verifyParams,
  verifyPong,
  verifyResult,
  type SessionRequestParams,
} from "./index";

const userKey = createPrivateKey();
const userPub = bytesToHex(publicKeyFromPrivate(userKey));
const user = publicKeyToAddress(userPub);
const providerKey = createPrivateKey();
const providerPub = bytesToHex(publicKeyFromPrivate(providerKey));
const provider = publicKeyToAddress(providerPub);
const bidId = `0x${"12".repeat(32)}` as Hash;
const sessionId = `0x${"34".repeat(32)}` as Hash;

describe("message codecs", () => {
  it("round-trip every request and result through the wire", () => {
    const prompt = JSON.stringify({ messages: [{ role: "user", content: 'tricky <b> & "quotes" \u2028 \n 😀' }], stream: true });
    const request = signParams("session.request", { user, key: userPub, spend: 10n ** 21n, timestamp: 1, bidId }, userKey);
    const wire = encodeRequest("session.request", newRequestId(), request);
    expect(decodeParams("session.request", parseRequest(wire).params)).toEqual(request);

    const promptParams = signParams("session.prompt", { sessionId, prompt, timestamp: Date.now() }, userKey);
    const promptWire = encodeRequest("session.prompt", "deadbeef", promptParams);
    const decodedPrompt = decodeParams("session.prompt", parseRequest(promptWire).params);
    expect(decodedPrompt).toEqual(promptParams);
    expect(verifyParams("session.prompt", decodedPrompt, userPub)).toBe(true);

    const pong = signResult("network.ping", { nonce: newPingNonce() }, providerKey);
    const pongWire = encodeResult("network.ping", "0", pong);
    expect(pongWire).not.toContain("version"); // omitempty
    expect(verifyPong(decodeResult("network.ping", parseResponse(pongWire).result), provider)).toBe(true);
  });

  it("verifies a request written with Go's HTML escaping on the wire", () => {
    const params = signParams("session.prompt", { sessionId, prompt: "a<b && c>d", timestamp: 5 }, userKey);
    const goWire = `{"id":"1","method":"session.prompt","params":{"signature":"${params.signature}","sessionid":"${sessionId}","message":"a\\u003cb \\u0026\\u0026 c\\u003ed","timestamp":5}}`;
    const decoded = decodeParams("session.prompt", parseRequest(goWire).params);
    expect(decoded.prompt).toBe("a<b && c>d");
    expect(verifyParams("session.prompt", decoded, userPub)).toBe(true);
  });

  it("canonicalises on read, so mixed-case hex from a peer still verifies", () => {
    const params = signParams("session.request", { user, key: userPub, spend: 1n, timestamp: 2, bidId }, userKey);
    const shouted = JSON.parse(encodeRequest("session.request", "1", params)).params;
    shouted.user = `0x${shouted.user.slice(2).toUpperCase()}`;
    shouted.bidid = `0X${shouted.bidid.slice(2).toUpperCase()}`.replace("0X", "0x");
    const decoded = decodeParams("session.request", shouted);
    expect(verifyParams("session.request", decoded, decoded.key)).toBe(true);
  });

  it("refuses what Go's validation refuses", () => {
    const base: SessionRequestParams = { user, key: userPub, spend: 1n, timestamp: 2, bidId };
    const raw = JSON.parse(encodeRequest("session.request", "1", base)).params;
    expect(() => decodeParams("session.request", { ...raw, timestamp: 0 })).toThrowError(/timestamp: required/);
    expect(() => decodeParams("session.request", { ...raw, bidid: `0x${"0".repeat(64)}` })).toThrowError(/bidid: required/);
    expect(() => decodeParams("session.request", { ...raw, user: undefined })).toThrowError(/user: required/);
    expect(() => decodeParams("session.request", { ...raw, timestamp: "2" })).toThrowError(MorRpcError);
    expect(() => decodeParams("session.report", { message: "not hex", timestamp: 1 })).toThrowError(/hexadecimal/);
    expect(() => parseRequest('{"id":1,"method":"network.ping","params":{}}')).toThrowError(/id/);
    expect(() => parseRequest("{")).toThrowError(/malformed JSON/);
  });
});

describe("signatures", () => {
  it("fail for another key, a changed field, or a missing signature", () => {
    const params = signParams("session.prompt", { sessionId, prompt: "{}", timestamp: 1 }, userKey);
    expect(verifyParams("session.prompt", params, providerPub)).toBe(false);
    expect(verifyParams("session.prompt", { ...params, timestamp: 2 }, userPub)).toBe(false);
    expect(verifyParams("session.prompt", { ...params, signature: undefined }, userPub)).toBe(false);
    expect(verifyParams("session.prompt", { ...params, signature: "0x1234" }, userPub)).toBe(false);
  });

  it("ignore v when verifying by key, but the pong needs v ∈ {0,1}", () => {
    const pong = signResult("network.ping", { nonce: "0x01", version: "v1" }, providerKey);
    const sig = pong.signature!;
    const v27 = `${sig.slice(0, 130)}${(parseInt(sig.slice(130), 16) + 27).toString(16)}` as Hex;
    expect(verifyResult("network.ping", { ...pong, signature: v27 }, providerPub)).toBe(true);
    expect(verifyPong({ ...pong, signature: v27 }, provider)).toBe(false);
    expect(verifyPong(pong, provider.toUpperCase().replace("0X", "0x") as Address)).toBe(true);
  });

  it("reject high-S signatures, like go-ethereum", () => {
    const params = signParams("session.prompt", { sessionId, prompt: "{}", timestamp: 1 }, userKey);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${params.signature!.slice(66, 130)}`);
    const highS = `${params.signature!.slice(0, 66)}${(n - s).toString(16).padStart(64, "0")}00` as Hex;
    expect(verifyParams("session.prompt", { ...params, signature: highS }, userPub)).toBe(false);
  });
});

describe("session steps", () => {
  it("session.request result carries a valid approval bound to bid, chain and user", () => {
    const result = createSessionResult({ bidId, chainId: 31337n, user, timestamp: 1_700_000_000_000n }, providerKey);
    expect(result.providerPubKey).toBe(providerPub);
    expect(recoverApprovalSigner(result.approval, result.approvalSig)).toBe(provider);
    expect(checkSessionResult(result, { bidId, chainId: 31337n, user }).approvalSigner).toBe(provider);
    expect(() => checkSessionResult(result, { bidId, chainId: 1n, user })).toThrowError(/does not match/);
    expect(() => checkSessionResult({ ...result, timestamp: 1 }, { bidId, chainId: 31337n, user })).toThrowError(/invalid signature/);
  });

  it("a streamed chunk seals on the provider and opens on the consumer", () => {
    const chunk = '{"choices":[{"delta":{"content":"Hi"},"index":0}],"object":"chat.completion.chunk"}';
    const sealed = sealPromptResult(chunk, userPub, providerKey);
    const wire = encodeResult("session.prompt", "abcd0123", sealed);
    const received = decodeResult("session.prompt", parseResponse(wire).result);
    expect(openPromptResult(received, providerPub, userKey)).toBe(chunk);
    expect(() => openPromptResult(received, userPub, userKey)).toThrowError(/invalid provider signature/);
    expect(() => openPromptResult(received, providerPub, providerKey)).toThrowError(/authentication failed/);
  });

  it("errors: infrastructure errors are unsigned, upstream errors are encrypted and signed", () => {
    const ct = eciesEncryptToHex(userPub, JSON.stringify({ providerModelError: { error: { message: "boom", type: "upstream_error" } } }));
    const err = signUpstreamError(ct, providerKey, 42);
    const res = parseResponse(encodeError("x", err));
    expect(res.result).toBeNull();
    expect(isUnsignedError(res.error!)).toBe(false);
    expect(verifyErrorSignature(res.error!, providerPub)).toBe(true);
    expect(verifyErrorSignature({ ...res.error!, code: 401 }, providerPub)).toBe(false);
    expect(JSON.parse(eciesDecryptFromHex(userKey, res.error!.message)).providerModelError.error.message).toBe("boom");
  });
});
