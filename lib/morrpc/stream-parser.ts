// MOR-RPC over TCP has no framing: each side writes whole JSON objects back to back (a TS peer
// may put whitespace between them). This finds where each top-level object ends by tracking
// string/escape state and brace depth over raw bytes, in one pass over each read. All structural
// characters are ASCII and never occur inside a multi-byte UTF-8 sequence, so a character split
// across reads is harmless; text is decoded only once an object is complete.
import { MorRpcError } from "./errors";

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export interface JsonObjectStreamOptions {
  /** Largest single object accepted; a peer that exceeds it is cut off. Default 16 MiB. */
  maxObjectBytes?: number;
}

export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

export class JsonObjectStream {
  private readonly maxObjectBytes: number;
  private readonly decoder = new TextDecoder("utf-8"); // invalid UTF-8 → U+FFFD, as Go decodes it
  /** The object in progress, in one buffer that grows by doubling up to maxObjectBytes. */
  private buffer: Uint8Array = new Uint8Array(0);
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failed = false;

  constructor(options: JsonObjectStreamOptions = {}) {
    this.maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  }

  /**
   * Feeds one read; returns the JSON text of every object completed by it, in order. With
   * `maxObjects`, stops scanning once that many objects are complete and ignores the rest of the
   * read (the provider reads exactly one request, as Go's json.Decoder does).
   */
  push(chunk: Uint8Array, maxObjects = Infinity): string[] {
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
        if (complete.length >= maxObjects) return complete;
      }
    }
    if (start >= 0) this.append(chunk.subarray(start));
    return complete;
  }

  /** True while an object has started but not yet ended (EOF now would truncate it). */
  get hasPartialObject(): boolean {
    return this.depth > 0;
  }

  /** Bytes of the object in progress held in memory. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Copies: the caller may reuse its read buffer. */
  private append(bytes: Uint8Array): void {
    const needed = this.pendingBytes + bytes.length;
    if (needed > this.maxObjectBytes) this.tooLarge();
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.maxObjectBytes, Math.max(needed, this.buffer.length * 2, 4096)));
      grown.set(this.buffer.subarray(0, this.pendingBytes));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.pendingBytes);
    this.pendingBytes = needed;
  }

  private finish(tail: Uint8Array): string {
    let bytes = tail;
    if (this.pendingBytes > 0) {
      this.append(tail);
      bytes = this.buffer.subarray(0, this.pendingBytes);
    } else if (tail.length > this.maxObjectBytes) {
      this.tooLarge();
    }
    const text = this.decoder.decode(bytes);
    this.pendingBytes = 0;
    // Keep a small buffer for the next object; let a large one go.
    if (this.buffer.length > 64 * 1024) this.buffer = new Uint8Array(0);
    return text;
  }

  private tooLarge(): never {
    this.failed = true;
    throw new MorRpcError("message_too_large", `JSON object exceeds ${this.maxObjectBytes} bytes`);
  }
}
