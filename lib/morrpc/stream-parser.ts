// MOR-RPC over TCP has no framing: each side writes whole JSON objects back to back (a TS peer
// may put whitespace between them). This finds where each top-level object ends by tracking
// string/escape state and brace depth over raw bytes. All structural characters are ASCII and
// never occur inside a multi-byte UTF-8 sequence, so a character split across reads is harmless;
// text is decoded only once an object is complete.
import { MorRpcError } from "./errors";

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export interface JsonObjectStreamOptions {
  /** Largest single object accepted; a peer that exceeds it is cut off. Default 32 MiB. */
  maxObjectBytes?: number;
}

export class JsonObjectStream {
  private readonly maxObjectBytes: number;
  private readonly decoder = new TextDecoder("utf-8"); // invalid UTF-8 → U+FFFD, as Go decodes it
  private parts: Uint8Array[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failed = false;

  constructor(options: JsonObjectStreamOptions = {}) {
    this.maxObjectBytes = options.maxObjectBytes ?? 32 * 1024 * 1024;
  }

  /** Feeds one read; returns the JSON text of every object completed by it, in order. */
  push(chunk: Uint8Array): string[] {
    if (this.failed) throw new MorRpcError("stream_violation", "stream already failed");
    const complete: string[] = [];
    let start = this.depth > 0 ? 0 : -1; // where the object in progress begins within this chunk
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.depth === 0) {
        if (isJsonWhitespace(byte)) continue;
        if (byte !== OPEN_BRACE) {
          this.failed = true;
          throw new MorRpcError("stream_violation", `expected '{' between messages, got byte 0x${byte.toString(16)}`);
        }
        this.depth = 1;
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE) this.depth++;
      else if (byte === CLOSE_BRACE && --this.depth === 0) {
        complete.push(this.finish(chunk.subarray(start, i + 1)));
        start = -1;
      }
    }
    if (start >= 0) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      this.checkSize();
      this.parts.push(rest.slice()); // copy: the caller may reuse its read buffer
    }
    return complete;
  }

  /** True while an object has started but not yet ended (EOF now would truncate it). */
  get hasPartialObject(): boolean {
    return this.depth > 0;
  }

  private finish(tail: Uint8Array): string {
    this.pendingBytes += tail.length;
    this.checkSize();
    let bytes = tail;
    if (this.parts.length > 0) {
      this.parts.push(tail);
      bytes = Buffer.concat(this.parts);
    }
    this.parts = [];
    this.pendingBytes = 0;
    return this.decoder.decode(bytes);
  }

  private checkSize(): void {
    if (this.pendingBytes > this.maxObjectBytes) {
      this.failed = true;
      throw new MorRpcError("message_too_large", `JSON object exceeds ${this.maxObjectBytes} bytes`);
    }
  }
}
