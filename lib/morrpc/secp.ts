// secp256k1 for the MOR-RPC hot path: libsecp256k1 through the native `secp256k1` addon.
// The package's index.js silently falls back to pure-JS `elliptic` (~30x slower) when the
// addon fails to load, so we load the two halves ourselves and remember which one we got.
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import type * as Secp256k1Api from "secp256k1";
import { MorRpcError } from "./errors";

export type Secp256k1Backend = "native" | "elliptic";

type Secp256k1 = typeof Secp256k1Api;

const require = createRequire(import.meta.url);

function loadSecp256k1(): { lib: Secp256k1; backend: Secp256k1Backend; loadError?: string } {
  try {
    const lib = require("secp256k1/bindings.js") as Secp256k1;
    // Blinds the native context against timing side channels (libsecp256k1's own advice).
    lib.contextRandomize(randomBytes(32));
    return { lib, backend: "native" };
  } catch (err) {
    const loadError = err instanceof Error ? err.message : String(err);
    return { lib: require("secp256k1/elliptic.js") as Secp256k1, backend: "elliptic", loadError };
  }
}

const loaded = loadSecp256k1();
const secp = loaded.lib;

/** Which implementation backs the secp256k1 calls, and why the native one failed if it did. */
export function secp256k1Backend(): { backend: Secp256k1Backend; loadError?: string } {
  return loaded.loadError === undefined
    ? { backend: loaded.backend }
    : { backend: loaded.backend, loadError: loaded.loadError };
}

/** Call at process start-up of anything that serves MOR-RPC traffic. */
export function assertNativeSecp256k1(): void {
  if (loaded.backend !== "native") {
    throw new MorRpcError(
      "native_secp256k1_missing",
      `secp256k1 native addon did not load (pure-JS fallback is ~30x slower): ${loaded.loadError ?? "unknown"}`,
    );
  }
}

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** A fresh random private key from the OS CSPRNG. */
export function createPrivateKey(): Uint8Array {
  for (;;) {
    const candidate = randomBytes(32);
    if (secp.privateKeyVerify(candidate)) return new Uint8Array(candidate);
  }
}

export function isValidPrivateKey(privateKey: Uint8Array): boolean {
  return privateKey.length === 32 && secp.privateKeyVerify(privateKey);
}

export function publicKeyFromPrivate(privateKey: Uint8Array, compressed = false): Uint8Array {
  return secp.publicKeyCreate(privateKey, compressed);
}

/** go-ethereum crypto.Sign: RFC 6979, low-S, 65 bytes r‖s‖v with v ∈ {0,1}. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recid } = secp.ecdsaSign(digest, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = recid;
  return out;
}

/**
 * go-ethereum crypto.VerifySignature: r‖s (v, if present, is ignored), high-S rejected,
 * compressed or uncompressed key. Malformed input is a failed verification, not an exception.
 */
export function verifyDigest(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 && signature.length !== 65) return false;
  if (digest.length !== 32 || (publicKey.length !== 33 && publicKey.length !== 65)) return false;
  try {
    // Parses the key itself: a key not on the curve throws like an r or s out of range (no
    // separate publicKeyVerify, which would parse it a second time on every chunk).
    return secp.ecdsaVerify(signature.subarray(0, 64), digest, publicKey);
  } catch {
    return false; // r or s out of range, or not a public key
  }
}

/** Ecrecover of a 65-byte r‖s‖v signature with v ∈ {0,1}; null when it does not recover. */
export function recoverPublicKey(signature: Uint8Array, digest: Uint8Array): Uint8Array | null {
  if (signature.length !== 65 || digest.length !== 32) return null;
  const recid = signature[64];
  if (recid !== 0 && recid !== 1) return null;
  try {
    return secp.ecdsaRecover(signature.subarray(0, 64), recid, digest, false);
  } catch {
    return null;
  }
}

/** True when s ≤ n/2, the form Ethereum (EIP-2, OpenZeppelin ECDSA) requires. */
export function hasLowS(signature: Uint8Array): boolean {
  if (signature.length < 64) return false;
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i]);
  return s <= SECP256K1_HALF_N;
}

const returnX = (x: Uint8Array): Uint8Array => x;

/** ECDH shared point x-coordinate (32 bytes, big-endian), as go-ethereum ecies GenerateShared uses it. */
export function sharedSecretX(publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array {
  // libsecp256k1's constant-time ECDH; the hash function hook hands back the raw x instead of sha256(point).
  return secp.ecdh(publicKey, privateKey, { hashfn: returnX }, new Uint8Array(32));
}
