// MOR-RPC message signatures (keccak256 of Go's JSON bytes, no prefix, v ∈ {0,1}) and the
// EIP-191 personal_sign signatures the contracts check (v ∈ {27,28}).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { createKeccak, type IHasher } from "hash-wasm";
import type { Address, Hex } from "viem";
import { bytesToHex, toBytes, type BytesLike } from "./json";
import { hasLowS, recoverPublicKey, signDigest, verifyDigest } from "./secp";

const utf8 = new TextEncoder();

// Every reply chunk is signed over keccak256 of its JSON (a kilobyte or so): hash-wasm's
// WebAssembly keccak takes ~0.005 ms there, the pure-JS one ~0.05 ms, as long as a signature.
// Its instance is made asynchronously, so the first calls after start use the JS one (same digest).
let wasmKeccak: IHasher | undefined;
const wasmKeccakReady: Promise<boolean> = createKeccak(256).then(
  (hasher) => {
    wasmKeccak = hasher;
    return true;
  },
  () => false, // no WebAssembly here: the JS keccak serves on its own
);

/** Resolves to whether the WebAssembly keccak serves from now on (tests, bench). */
export function fastKeccakReady(): Promise<boolean> {
  return wasmKeccakReady;
}

export function keccak256Bytes(data: Uint8Array): Uint8Array {
  if (!wasmKeccak) return keccak_256(data);
  wasmKeccak.init();
  wasmKeccak.update(data);
  return wasmKeccak.digest("binary");
}

/** The digest a MOR-RPC signature covers: keccak256 of the UTF-8 JSON bytes, no EIP-191 prefix. */
export function morRpcDigest(signedJson: string): Uint8Array {
  return keccak256Bytes(utf8.encode(signedJson));
}

export function publicKeyToAddress(publicKey: BytesLike): Address {
  const pub = toBytes(publicKey);
  if (pub.length !== 65 || pub[0] !== 0x04) throw new TypeError("expected an uncompressed 65-byte public key");
  return bytesToHex(keccak256Bytes(pub.subarray(1)).subarray(12));
}

/** go-ethereum crypto.Sign over the digest of `signedJson`: 0x + 130 lowercase hex. */
export function signMorRpc(signedJson: string, privateKey: BytesLike): Hex {
  return bytesToHex(signDigest(morRpcDigest(signedJson), toBytes(privateKey)));
}

function signatureBytes(signature: BytesLike): Uint8Array | null {
  try {
    return toBytes(signature);
  } catch {
    return null;
  }
}

/** lib.VerifySignature: 65-byte signature, v ignored, high-S rejected. */
export function verifyMorRpcWithKey(signedJson: string, signature: BytesLike, publicKey: BytesLike): boolean {
  const sig = signatureBytes(signature);
  const pub = signatureBytes(publicKey);
  if (sig === null || sig.length !== 65 || pub === null) return false;
  return verifyDigest(sig, morRpcDigest(signedJson), pub);
}

/** lib.VerifySignatureAddr (ecrecover, v must be 0 or 1), used for the pong. */
export function verifyMorRpcWithAddress(signedJson: string, signature: BytesLike, address: Address): boolean {
  const sig = signatureBytes(signature);
  if (sig === null) return false;
  const pub = recoverPublicKey(sig, morRpcDigest(signedJson));
  return pub !== null && publicKeyToAddress(pub) === address.toLowerCase();
}

const PERSONAL_PREFIX_32 = utf8.encode("\x19Ethereum Signed Message:\n32");

/** EIP-191 digest of a 32-byte hash: keccak256("\x19Ethereum Signed Message:\n32" ‖ hash). */
export function personalHashDigest(hash: Uint8Array): Uint8Array {
  if (hash.length !== 32) throw new TypeError("expected a 32-byte hash");
  const buf = new Uint8Array(PERSONAL_PREFIX_32.length + 32);
  buf.set(PERSONAL_PREFIX_32, 0);
  buf.set(hash, PERSONAL_PREFIX_32.length);
  return keccak256Bytes(buf);
}

/** personal_sign over a 32-byte hash (Go SignEthMessageV2): 65 bytes, v ∈ {27,28}. */
export function signPersonalHash(hash: Uint8Array, privateKey: BytesLike): Hex {
  const sig = signDigest(personalHashDigest(hash), toBytes(privateKey));
  sig[64] += 27;
  return bytesToHex(sig);
}

/** The signer of a personal_sign signature as OpenZeppelin ECDSA.recover sees it (v 27/28, low S), or null. */
export function recoverPersonalHashSigner(hash: Uint8Array, signature: BytesLike): Address | null {
  const sig = signatureBytes(signature);
  if (sig === null || sig.length !== 65 || (sig[64] !== 27 && sig[64] !== 28) || !hasLowS(sig)) return null;
  const normalized = new Uint8Array(sig);
  normalized[64] -= 27;
  const pub = recoverPublicKey(normalized, personalHashDigest(hash));
  return pub === null ? null : publicKeyToAddress(pub);
}
