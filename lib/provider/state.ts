// What the provider node remembers between requests: each user's public key (replies are
// encrypted to it; the latest session.request wins, as in Go) and per-session usage, from which
// session.report builds the signed receipt. Optionally kept in a JSON file so a restart does not
// strand open sessions ("user not found") or lose their receipts.
//
// Bounded: anyone can send session.request with a fresh key, so keys are capped (the longest
// unused go first), and keys and usage idle for longer than any session can last are dropped.
// Saved off the event loop: changes are coalesced into one write at a time, to a temporary file
// renamed over the old one (a crash mid-write never leaves half a file).
import fs from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";

export interface SessionUsage {
  /** Prompts answered in full. */
  prompts: number;
  /** Sums over those prompts, for the averages the receipt carries. */
  ttftMsSum: number;
  tpsScaled1000Sum: number;
  inputTokens: number;
  outputTokens: number;
  /** Unix ms of the last prompt, for the idle_timeout capacity policy and pruning. */
  lastActivityMs: number;
}

interface StoredUserKey {
  key: Hex;
  /** Unix ms of the latest session.request that set it. */
  setAtMs: number;
}

interface StateFile {
  version: 1;
  /** A bare key (files written before keys carried their time) counts as set at load. */
  userKeys: Record<string, Hex | StoredUserKey>;
  sessions: Record<string, SessionUsage>;
}

export interface ProviderStateOptions {
  /** Keys and usage idle this long are forgotten: longer than a session can last (7 days at deploy) plus time to close it. */
  retentionMs?: number;
  maxUserKeys?: number;
  /** Called when a save fails; the changes stay pending and the next save retries them. */
  onWriteError?: (error: unknown) => void;
  now?: () => number;
}

const DEFAULT_RETENTION_MS = 8 * 24 * 3600_000;
const DEFAULT_MAX_USER_KEYS = 100_000;
/** Changes within this window share one write. */
const SAVE_DELAY_MS = 200;

export class ProviderState {
  private readonly userKeys = new Map<string, StoredUserKey>();
  private readonly usage = new Map<string, SessionUsage>();
  private readonly retentionMs: number;
  private readonly maxUserKeys: number;
  private readonly now: () => number;
  private readonly onWriteError: (error: unknown) => void;
  private saveTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;

  /** Reads `file` once, synchronously: only at start-up. */
  constructor(
    private readonly file?: string,
    options: ProviderStateOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxUserKeys = options.maxUserKeys ?? DEFAULT_MAX_USER_KEYS;
    this.now = options.now ?? Date.now;
    this.onWriteError = options.onWriteError ?? (() => {});
    if (file && fs.existsSync(file)) {
      const saved = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
      const loadedAt = this.now();
      for (const [user, stored] of Object.entries(saved.userKeys ?? {})) {
        this.userKeys.set(user, typeof stored === "string" ? { key: stored, setAtMs: loadedAt } : stored);
      }
      for (const [id, u] of Object.entries(saved.sessions ?? {})) this.usage.set(id, u);
      this.prune();
    }
  }

  setUserKey(user: Address, key: Hex): void {
    const id = user.toLowerCase();
    this.userKeys.delete(id); // re-inserted last: the map's order is least recently set first
    this.userKeys.set(id, { key, setAtMs: this.now() });
    for (const oldest of this.userKeys.keys()) {
      if (this.userKeys.size <= this.maxUserKeys) break;
      this.userKeys.delete(oldest);
    }
    this.scheduleSave();
  }

  userKey(user: Address): Hex | undefined {
    return this.userKeys.get(user.toLowerCase())?.key;
  }

  sessionUsage(sessionId: Hex): SessionUsage | undefined {
    return this.usage.get(sessionId.toLowerCase());
  }

  recordPrompt(sessionId: Hex, prompt: { ttftMs: number; durationMs: number; inputTokens: number; outputTokens: number }): void {
    const id = sessionId.toLowerCase();
    const u = this.usage.get(id) ?? { prompts: 0, ttftMsSum: 0, tpsScaled1000Sum: 0, inputTokens: 0, outputTokens: 0, lastActivityMs: 0 };
    // As the Go node: tokens per whole second of the prompt's duration, scaled by 1000.
    const seconds = Math.max(1, Math.floor(prompt.durationMs / 1000));
    u.prompts += 1;
    u.ttftMsSum += prompt.ttftMs;
    u.tpsScaled1000Sum += Math.floor((prompt.outputTokens * 1000) / seconds);
    u.inputTokens += prompt.inputTokens;
    u.outputTokens += prompt.outputTokens;
    u.lastActivityMs = this.now();
    this.usage.set(id, u);
    this.scheduleSave();
  }

  forgetSession(sessionId: Hex): void {
    if (this.usage.delete(sessionId.toLowerCase())) this.scheduleSave();
  }

  /** Writes pending changes now and waits for them (shutdown, tests). Never throws: failures go to onWriteError. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.dirty) await this.save();
  }

  /** Drops user keys and usage idle for longer than the retention. */
  private prune(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [user, stored] of this.userKeys) if (stored.setAtMs < cutoff) this.userKeys.delete(user);
    for (const [id, u] of this.usage) if (u.lastActivityMs < cutoff) this.usage.delete(id);
  }

  private scheduleSave(): void {
    this.dirty = true;
    if (!this.file || this.saveTimer || this.writing) return; // an in-flight save reschedules when done
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      if (this.dirty && !this.writing) void this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  /** One write at a time: a snapshot of now, to a temp file renamed over the old one. */
  private save(): Promise<void> {
    const file = this.file;
    if (!file) {
      this.dirty = false;
      return Promise.resolve();
    }
    this.prune();
    this.dirty = false;
    const snapshot: StateFile = { version: 1, userKeys: Object.fromEntries(this.userKeys), sessions: Object.fromEntries(this.usage) };
    const tmp = `${file}.${process.pid}.tmp`;
    let failed = false;
    this.writing = (async () => {
      try {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        await fs.promises.writeFile(tmp, JSON.stringify(snapshot));
        await fs.promises.rename(tmp, file);
      } catch (error) {
        failed = true;
        this.dirty = true; // written by the next save: after the next change, or at flush (no retry loop on a full disk)
        await fs.promises.rm(tmp, { force: true }).catch(() => {});
        this.onWriteError(error);
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.dirty && !failed) this.scheduleSave(); // changes made during the write
    });
    return this.writing;
  }
}
