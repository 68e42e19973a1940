/** Why a MOR-RPC value was refused; stable codes for callers to branch on. */
export type MorRpcErrorCode =
  | "invalid_json" // not parseable JSON, or not the expected JSON shape
  | "validation_failed" // a field is missing, malformed or zero where Go requires a value
  | "invalid_signature"
  | "decrypt_failed" // ECIES: malformed ciphertext, wrong key or tampered tag
  | "stream_violation" // the TCP byte stream is not back-to-back JSON objects
  | "message_too_large"
  | "native_secp256k1_missing"
  // transport (transport.ts)
  | "dial_failed" // the provider endpoint could not be reached (or is not host:port)
  | "timeout" // the message says which: dial, first byte or idle
  | "connection_closed" // EOF or reset before a complete response, mid-object, or the peer is gone
  | "aborted" // the caller's AbortSignal fired
  // replies (client.ts)
  | "provider_error" // the provider refused or failed: its plain-text infrastructure error
  | "upstream_error"; // the provider's model answered an error; `details` holds its decrypted body

export class MorRpcError extends Error {
  readonly code: MorRpcErrorCode;

  /** For upstream_error: the model's error body (OpenAI's {"error":{…}} shape, usually). */
  readonly details?: unknown;

  constructor(code: MorRpcErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options);
    this.name = "MorRpcError";
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }
}
