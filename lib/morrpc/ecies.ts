// go-ethereum crypto/ecies with ECIES_AES128_SHA256 on secp256k1, as the proxy-router uses it
// for provider→consumer replies (lib.EncryptString / lib.DecryptString). Only composes audited
// primitives: libsecp256k1 for keys and ECDH, node:crypto for SHA-256, AES-CTR, HMAC, randomness.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MorRpcError } from "./errors";
import { toBytes, type BytesLike } from "./json";
import { createPrivateKey, isValidPrivateKey, publicKeyFromPrivate, sharedSecretX } from "./secp";

const EPHEMERAL_KEY_LEN = 65; // uncompressed 0x04‖X‖Y
const IV_LEN = 16;
const TAG_LEN = 32;
const KDF_COUNTER_1 = new Uint8Array([0, 0, 0, 1]);

/** NIST SP 800-56 concat KDF, one SHA-256 round (s1 empty): Ke = K[0:16], Km = SHA-256(K[16:32]). */
function deriveKeys(sharedX: Uint8Array): { encKey: Buffer; macKey: Buffer } {
  const k = createHash("sha256").update(KDF_COUNTER_1).update(sharedX).digest();
  return { encKey: k.subarray(0, 16), macKey: createHash("sha256").update(k.subarray(16, 32)).digest() };
}

function messageTag(macKey: Uint8Array, ivAndCiphertext: Uint8Array): Buffer {
  return createHmac("sha256", macKey).update(ivAndCiphertext).digest(); // s2 empty
}

export interface EciesEncryptOptions {
  /** Fixed ephemeral key and IV: for test vectors only; never reuse them for real traffic. */
  ephemeralPrivateKey?: Uint8Array;
  iv?: Uint8Array;
}

/**
 * ecies.Encrypt(rand, pub, m, nil, nil): R(65) ‖ iv(16) ‖ AES-128-CTR(m) ‖ HMAC-SHA256 tag(32).
 * Like go-ethereum, an empty plaintext yields an empty ciphertext.
 */
export function eciesEncrypt(
  recipientPublicKey: BytesLike,
  plaintext: Uint8Array | string,
  options: EciesEncryptOptions = {},
): Uint8Array {
  const message = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  if (message.length === 0) return new Uint8Array(0);

  const ephemeral = options.ephemeralPrivateKey ?? createPrivateKey();
  if (!isValidPrivateKey(ephemeral)) throw new TypeError("invalid ephemeral private key");
  const iv = options.iv ?? randomBytes(IV_LEN);
  if (iv.length !== IV_LEN) throw new TypeError("iv must be 16 bytes");

  const { encKey, macKey } = deriveKeys(sharedSecretX(toBytes(recipientPublicKey), ephemeral));
  const out = Buffer.allocUnsafe(EPHEMERAL_KEY_LEN + IV_LEN + message.length + TAG_LEN);
  out.set(publicKeyFromPrivate(ephemeral, false), 0);
  out.set(iv, EPHEMERAL_KEY_LEN);
  const cipher = createCipheriv("aes-128-ctr", encKey, iv);
  const body = cipher.update(message);
  cipher.final(); // CTR: no padding, nothing buffered
  out.set(body, EPHEMERAL_KEY_LEN + IV_LEN);
  const tagStart = EPHEMERAL_KEY_LEN + IV_LEN + message.length;
  out.set(messageTag(macKey, out.subarray(EPHEMERAL_KEY_LEN, tagStart)), tagStart);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** PrivateKey.Decrypt(c, nil, nil). Throws MorRpcError("decrypt_failed") on any malformed or unauthentic input. */
export function eciesDecrypt(privateKey: BytesLike, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length === 0) return new Uint8Array(0);
  if (ciphertext[0] !== 0x04) throw new MorRpcError("decrypt_failed", "ECIES: ephemeral key is not uncompressed");
  if (ciphertext.length < EPHEMERAL_KEY_LEN + IV_LEN + TAG_LEN) {
    throw new MorRpcError("decrypt_failed", "ECIES: ciphertext too short");
  }
  const macStart = ciphertext.length - TAG_LEN;
  let sharedX: Uint8Array;
  try {
    sharedX = sharedSecretX(ciphertext.subarray(0, EPHEMERAL_KEY_LEN), toBytes(privateKey));
  } catch (err) {
    throw new MorRpcError("decrypt_failed", "ECIES: invalid ephemeral public key", { cause: err });
  }
  const { encKey, macKey } = deriveKeys(sharedX);
  const expected = messageTag(macKey, ciphertext.subarray(EPHEMERAL_KEY_LEN, macStart));
  if (!timingSafeEqual(expected, ciphertext.subarray(macStart))) {
    throw new MorRpcError("decrypt_failed", "ECIES: message authentication failed");
  }
  const iv = ciphertext.subarray(EPHEMERAL_KEY_LEN, EPHEMERAL_KEY_LEN + IV_LEN);
  const decipher = createDecipheriv("aes-128-ctr", encKey, iv);
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(EPHEMERAL_KEY_LEN + IV_LEN, macStart)), decipher.final()]);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}

/** lib.EncryptString: the ciphertext as lowercase hex WITHOUT 0x (the wire form of prompt results). */
export function eciesEncryptToHex(recipientPublicKey: BytesLike, plaintext: Uint8Array | string, options?: EciesEncryptOptions): string {
  return Buffer.from(eciesEncrypt(recipientPublicKey, plaintext, options)).toString("hex");
}

/** lib.DecryptString: hex.DecodeString (no 0x allowed, either case) then decrypt to UTF-8. */
export function eciesDecryptFromHex(privateKey: BytesLike, ciphertextHex: string): string {
  // For ASCII text, Node's hex decoder stops at the first character that is not hex (and drops an
  // odd last digit): the ciphertext is plain even-length hex exactly when the text is ASCII and
  // every character was decoded. (The decoder reads a character above U+00FF by its low byte, so
  // "š" would pass as "a": hence the ASCII check. Cheaper than a regular expression over every reply.)
  const ciphertext = Buffer.from(ciphertextHex, "hex");
  if (ciphertext.length * 2 !== ciphertextHex.length || Buffer.byteLength(ciphertextHex, "utf8") !== ciphertextHex.length) throw new MorRpcError("decrypt_failed", "ECIES: ciphertext is not plain even-length hex");
  const plain = eciesDecrypt(privateKey, ciphertext);
  return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).toString("utf8");
}
