import { randomBytes } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { describe, expect, it } from "vitest";
import { fastKeccakReady, keccak256Bytes } from "./signing";

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
