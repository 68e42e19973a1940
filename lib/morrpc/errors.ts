/** Why a MOR-RPC value was refused; stable codes for callers to branch on. */
export type MorRpcErrorCode =
  | "invalid_json" // not parseable JSON, or not the expected JSON shape
  | "validation_failed" // a field is missing, malformed or zero where Go requires a value
  | "invalid_signature"
  | "decrypt_failed" // ECIES: malformed ciphertext, wrong key or tampered tag
  | "stream_violation" // the TCP byte stream is not back-to-back JSON objects
  | "message_too_large"
  | "native_secp256k1_missing";

export class MorRpcError extends Error {
  readonly code: MorRpcErrorCode;

  constructor(code: MorRpcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MorRpcError";
    this.code = code;
  }
}
