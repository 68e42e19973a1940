import { describe, expect, it } from "vitest";
import { eciesDecrypt, eciesDecryptFromHex, eciesEncrypt, eciesEncryptToHex } from "./ecies";
import { MorRpcError } from "./errors";
import { createPrivateKey, publicKeyFromPrivate } from "./secp";

const recipient = createPrivateKey();
const recipientPub = publicKeyFromPrivate(recipient);

describe("ECIES (go-ethereum AES-128-CTR / HMAC-SHA256)", () => {
  it("round-trips text and binary of many lengths", () => {
    for (const len of [1, 15, 16, 17, 31, 32, 33, 1000, 70_000]) {
      const plain = new Uint8Array(len).map((_, i) => (i * 31) & 0xff);
      const ct = eciesEncrypt(recipientPub, plain);
      expect(ct.length).toBe(65 + 16 + len + 32);
      expect(ct[0]).toBe(0x04);
      expect(eciesDecrypt(recipient, ct)).toEqual(plain);
    }
    const text = '{"choices":[{"delta":{"content":"héllo 😀"}}]}';
    expect(eciesDecryptFromHex(recipient, eciesEncryptToHex(recipientPub, text))).toBe(text);
  });

  it("uses a fresh ephemeral key and IV each time", () => {
    const a = eciesEncryptToHex(recipientPub, "same");
    const b = eciesEncryptToHex(recipientPub, "same");
    expect(a.slice(0, 130)).not.toBe(b.slice(0, 130));
    expect(a.slice(130, 162)).not.toBe(b.slice(130, 162));
  });

  it("accepts a compressed recipient key", () => {
    const ct = eciesEncrypt(publicKeyFromPrivate(recipient, true), "zuck");
    expect(new TextDecoder().decode(eciesDecrypt(recipient, ct))).toBe("zuck");
  });

  it("maps an empty plaintext to an empty ciphertext, like go-ethereum", () => {
    expect(eciesEncrypt(recipientPub, "")).toHaveLength(0);
    expect(eciesDecrypt(recipient, new Uint8Array(0))).toHaveLength(0);
  });

  it("rejects a tampered tag, IV, ciphertext body or ephemeral key", () => {
    const ct = eciesEncrypt(recipientPub, "secret message");
    for (const index of [ct.length - 1, 65, 65 + 16, 10]) {
      const bad = new Uint8Array(ct);
      bad[index] ^= 0x01;
      expect(() => eciesDecrypt(recipient, bad)).toThrowError(MorRpcError);
    }
  });

  it("rejects the wrong private key", () => {
    const ct = eciesEncrypt(recipientPub, "secret message");
    expect(() => eciesDecrypt(createPrivateKey(), ct)).toThrowError(/authentication failed/);
  });

  it("rejects malformed input", () => {
    const ct = eciesEncrypt(recipientPub, "x");
    expect(() => eciesDecrypt(recipient, ct.subarray(0, 100))).toThrowError(/too short/);
    const compressedPrefix = new Uint8Array(ct);
    compressedPrefix[0] = 0x02;
    expect(() => eciesDecrypt(recipient, compressedPrefix)).toThrowError(/uncompressed/);
    const hex = Buffer.from(ct).toString("hex");
    for (const bad of [`0x${hex}`, `0X${hex}`, hex.slice(0, -1), `${hex}0`, `${hex.slice(0, 10)}zz${hex.slice(12)}`, `${hex.slice(0, -2)}g0`, ` ${hex}`, `${hex.slice(0, -2)}é1`, `${hex.slice(0, -2)}š1`, `${hex.slice(0, -2)}\u0130a`]) {
      expect(() => eciesDecryptFromHex(recipient, bad), bad.slice(-6)).toThrowError(/plain even-length hex/);
    }
    expect(eciesDecryptFromHex(recipient, hex.toUpperCase())).toBe("x");
  });
});
