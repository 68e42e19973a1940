// What the provider node remembers between requests: each user's public key (replies are
// encrypted to it; the latest session.request wins, as in Go) and per-session usage, from which
// session.report builds the signed receipt. Optionally kept in a JSON file so a restart does not
// strand open sessions ("user not found") or lose their receipts.
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
  /** Unix ms of the last prompt, for the idle_timeout capacity policy. */
  lastActivityMs: number;
}

interface StateFile {
  version: 1;
  userKeys: Record<string, Hex>;
  sessions: Record<string, SessionUsage>;
}

export class ProviderState {
  private readonly userKeys = new Map<string, Hex>();
  private readonly usage = new Map<string, SessionUsage>();
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly file?: string) {
    if (file && fs.existsSync(file)) {
      const saved = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
      for (const [user, key] of Object.entries(saved.userKeys ?? {})) this.userKeys.set(user, key);
      for (const [id, u] of Object.entries(saved.sessions ?? {})) this.usage.set(id, u);
    }
  }

  setUserKey(user: Address, key: Hex): void {
    this.userKeys.set(user.toLowerCase(), key);
    this.scheduleSave();
  }

  userKey(user: Address): Hex | undefined {
    return this.userKeys.get(user.toLowerCase());
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
    u.lastActivityMs = Date.now();
    this.usage.set(id, u);
    this.scheduleSave();
  }

  /** Sessions active (a prompt) since `sinceMs`, for the idle_timeout capacity policy. */
  activeSessionIdsSince(sinceMs: number): string[] {
    return [...this.usage].filter(([, u]) => u.lastActivityMs >= sinceMs).map(([id]) => id);
  }

  forgetSession(sessionId: Hex): void {
    if (this.usage.delete(sessionId.toLowerCase())) this.scheduleSave();
  }

  /** Writes pending changes now (on shutdown). */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.file) return;
    const state: StateFile = { version: 1, userKeys: Object.fromEntries(this.userKeys), sessions: Object.fromEntries(this.usage) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, this.file); // atomic: a crash mid-write never leaves half a file
  }

  private scheduleSave(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), 200);
    this.saveTimer.unref();
  }
}
