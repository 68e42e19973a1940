import { randomBytes } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { describe, expect, it } from "vitest";
import { createPrivateKey, publicKeyFromPrivate } from "./secp";
import { fastKeccakReady, keccak256Bytes, signMorRpc, verifyMorRpcWithKey } from "./signing";

describe("keccak256Bytes", () => {
  it("the WebAssembly keccak serves once ready and gives the JS keccak's digest at every block boundary and size", async () => {
    expect(await fastKeccakReady()).toBe(true);
    // keccak256's rate is 136 bytes: around it, and the sizes of a chunk, a prompt and more.
    for (const size of [0, 1, 31, 32, 135, 136, 137, 271, 272, 273, 1200, 65_536, 1_048_576]) {
      const data = randomBytes(size);
      expect(Buffer.from(keccak256Bytes(data)).toString("hex"), `${size} bytes`).toBe(Buffer.from(keccak_256(data)).toString("hex"));
    }
    // The well-known digest of nothing.
    expect(Buffer.from(keccak256Bytes(new Uint8Array())).toString("hex")).toBe("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });
});

describe("verifyMorRpcWithKey", () => {
  const key = createPrivateKey();
  const pub = publicKeyFromPrivate(key, false);
  const json = '{"message":"hello"}';
  const signature = signMorRpc(json, key);

  it("a key that is not a public key is a failed verification, never an exception", () => {
    expect(verifyMorRpcWithKey(json, signature, pub)).toBe(true);
    expect(verifyMorRpcWithKey(json, signature, publicKeyFromPrivate(key, true))).toBe(true); // compressed
    const offCurve = new Uint8Array(pub);
    offCurve[64] ^= 1; // y no longer matches x
    const badPrefix = new Uint8Array(pub);
    badPrefix[0] = 0x05;
    for (const bad of [offCurve, badPrefix, pub.subarray(1), new Uint8Array(65), new Uint8Array(33).fill(2), new Uint8Array(0)]) {
      expect(verifyMorRpcWithKey(json, signature, bad)).toBe(false);
    }
    expect(verifyMorRpcWithKey(json, signature, "0xnot-hex")).toBe(false);
    expect(verifyMorRpcWithKey(json, signature, publicKeyFromPrivate(createPrivateKey(), false))).toBe(false);
  });
});
