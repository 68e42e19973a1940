import { describe, expect, it } from "vitest";
import { assertNativeSecp256k1, secp256k1Backend } from "./secp";

describe("secp256k1 backend", () => {
  it("is the native libsecp256k1 addon, not the pure-JS fallback", () => {
    expect(secp256k1Backend()).toEqual({ backend: "native" });
    expect(() => assertNativeSecp256k1()).not.toThrow();
  });
});
