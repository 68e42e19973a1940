// Go encoding/json compatibility: the exact bytes Go's json.Marshal writes, and Go's rules
// for reading the proxy-router's value types (lib.HexString, common.Address, common.Hash,
// lib.BigInt, uint64). Signatures cover re-marshalled bytes, so these must match Go exactly.
import type { Address, Hash, Hex } from "viem";
import { MorRpcError } from "./errors";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const GO_EXTRA_ESCAPES = /[<>&\u2028\u2029]/g;
const GO_EXTRA_ESCAPE_MAP: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/**
 * A JSON string literal for the wire: standard JSON escaping, which Go decodes to the same
 * string. Lone surrogates become U+FFFD, which is what a Go peer holds after decoding them.
 */
export function jsonString(value: string): string {
  return JSON.stringify(value.replace(LONE_SURROGATE, "\uFFFD"));
}

/**
 * A JSON string literal exactly as Go's json.Marshal writes it, for the bytes a signature
 * covers. JSON.stringify already matches Go ≥1.22 for quotes, backslashes and control
 * characters; Go also escapes < > & U+2028 U+2029.
 */
export function goJsonString(value: string): string {
  return jsonString(value).replace(GO_EXTRA_ESCAPES, (ch) => GO_EXTRA_ESCAPE_MAP[ch]);
}

function goJsonNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError("JSON cannot carry NaN or Infinity");
  if (Object.is(value, -0)) return "-0";
  // ECMAScript's shortest round-trip form and exponent thresholds (1e-6, 1e21) match Go's float64 encoder.
  return String(value);
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * json.Marshal of a decoded JSON value as Go holds it (map[string]interface{}): object keys
 * sorted by their UTF-8 bytes, no whitespace, Go string escaping. Used for response plaintexts.
 */
export function marshalGoValue(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return goJsonString(value);
    case "number":
      return goJsonNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (Array.isArray(value)) return `[${value.map(marshalGoValue).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => compareUtf8(a, b));
      return `{${entries.map(([k, v]) => `${goJsonString(k)}:${marshalGoValue(v)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`cannot marshal a ${typeof value} as JSON`);
  }
}

// --- hex helpers --------------------------------------------------------------------------

const HEX_BODY = /^[0-9a-fA-F]*$/;

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Hex with or without 0x (an odd length gets a leading 0, like go-ethereum common.FromHex). */
export function hexToBytes(hex: string): Uint8Array {
  let body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (!HEX_BODY.test(body)) throw new MorRpcError("validation_failed", "not a hex string");
  if (body.length % 2 === 1) body = `0${body}`;
  return new Uint8Array(Buffer.from(body, "hex"));
}

/** Keys and signatures may be given as bytes or as hex. */
export type BytesLike = Uint8Array | Hex;

export function toBytes(value: BytesLike): Uint8Array {
  return typeof value === "string" ? hexToBytes(value) : value;
}

// --- Go value types: reading (Go's acceptance rules) and writing (Go's exact form) ----------

function invalid(field: string, why: string): MorRpcError {
  return new MorRpcError("validation_failed", `${field}: ${why}`);
}

const GO_HEXSTRING = /^(0[xX])?[0-9a-fA-F]+$/;

/** lib.HexString: "0x" optional, "" is empty, "0x" alone is rejected, odd length padded. Returns canonical lowercase. */
export function readGoHexString(value: unknown, field: string): Hex {
  if (typeof value !== "string") throw invalid(field, "expected a hex string");
  if (value === "") return "0x";
  if (!GO_HEXSTRING.test(value)) throw invalid(field, "expected a hex string");
  let body = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  if (body.length % 2 === 1) body = `0${body}`;
  return `0x${body.toLowerCase()}`;
}

/** lib.HexString as Go writes it: "0x" + lowercase hex, "0x" when empty. */
export function writeGoHexString(value: Hex): string {
  return value === "0x" ? '"0x"' : `"${readGoHexString(value, "hex")}"`;
}

function readFixedHex(value: unknown, field: string, bytes: number, what: string): `0x${string}` {
  if (typeof value !== "string" || value.length !== 2 + bytes * 2 || !value.startsWith("0x") && !value.startsWith("0X")) {
    throw invalid(field, `expected ${what} (0x + ${bytes * 2} hex characters)`);
  }
  const body = value.slice(2);
  if (!HEX_BODY.test(body)) throw invalid(field, `expected ${what} (0x + ${bytes * 2} hex characters)`);
  return `0x${body.toLowerCase()}`;
}

/** common.Address: 0x + 40 hex, either case. Returns lowercase (Go writes no EIP-55 checksum). */
export function readGoAddress(value: unknown, field: string): Address {
  return readFixedHex(value, field, 20, "an address");
}

export function writeGoAddress(value: Address): string {
  return `"${readGoAddress(value, "address")}"`;
}

/** common.Hash: 0x + 64 hex, either case. Returns lowercase. */
export function readGoHash(value: unknown, field: string): Hash {
  return readFixedHex(value, field, 32, "a 32-byte hash");
}

export function writeGoHash(value: Hash): string {
  return `"${readGoHash(value, "hash")}"`;
}

const DECIMAL = /^[+-]?[0-9]+$/;

/**
 * lib.BigInt: a decimal string, or a bare base-10 number. JSON.parse has already turned a bare
 * number into a float, so one beyond 2^53 is refused rather than silently rounded.
 */
export function readGoBigInt(value: unknown, field: string): bigint {
  if (typeof value === "string" && DECIMAL.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "number" && Number.isInteger(value)) {
    throw invalid(field, "a bare number this large loses precision; send a decimal string");
  }
  throw invalid(field, "expected a decimal string");
}

export function writeGoBigInt(value: bigint): string {
  return `"${value.toString(10)}"`;
}

/** uint64 / uint32 / int: a JSON number only (a quoted number fails in Go). */
export function readGoUint(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, "expected a non-negative integer number");
  }
  return value;
}

export function readGoInt(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw invalid(field, "expected an integer number");
  return value;
}

export function writeGoInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return String(value);
}

export function readGoString(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalid(field, "expected a string");
  return value;
}

/** JSON.parse for wire input, with a MorRpcError on malformed JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MorRpcError("invalid_json", "malformed JSON", { cause: err });
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A field of a decoded object the way Go's decoder finds it: the exact key, else a
 * case-insensitive match (encoding/json folds key case).
 */
export function goField(obj: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}
