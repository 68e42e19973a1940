// The on-chain sessions the provider node serves, as last read from the chain. Bounded: ended
// sessions (closed, or past their end by chain time) are dropped by prune(), and past
// `maxEntries` the oldest reads go first (a dropped session is only read from the chain again).
// Indexed by model, so the capacity check looks at one model's sessions, not every session.
import type { Address, Hex } from "viem";

/** What the node knows about an on-chain session it serves. */
export interface ServedSession {
  id: Hex;
  user: Address;
  bidId: Hex;
  modelId: Hex;
  endsAt: bigint;
  closed: boolean;
  /** Chain time at the read, and when (wall clock) it was read: chain "now" without a read per prompt. */
  chainTime: bigint;
  readAtMs: number;
}

/** The chain's time now, extrapolated from the session's last read. */
export function chainNow(session: ServedSession, nowMs = Date.now()): bigint {
  return session.chainTime + BigInt(Math.floor((nowMs - session.readAtMs) / 1000));
}

export function hasEnded(session: ServedSession, nowMs = Date.now()): boolean {
  return session.closed || session.endsAt <= chainNow(session, nowMs);
}

export class ServedSessions {
  /** Insertion order = read order: the first entry is the oldest read. */
  private readonly byId = new Map<string, ServedSession>();
  private readonly byModel = new Map<string, Set<string>>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: Hex): ServedSession | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /** Stores a fresh read of a session. */
  put(session: ServedSession): void {
    const id = session.id.toLowerCase();
    this.remove(id);
    this.byId.set(id, session);
    const ofModel = this.byModel.get(session.modelId) ?? new Set<string>();
    ofModel.add(id);
    this.byModel.set(session.modelId, ofModel);
    if (this.byId.size > this.maxEntries) this.prune();
    for (const oldest of this.byId.keys()) {
      if (this.byId.size <= this.maxEntries) break;
      this.remove(oldest);
    }
  }

  /** The SessionClosed event: stop serving it at once (pruned later; a prompt meanwhile is refused without a chain read). */
  markClosed(id: Hex): void {
    const known = this.byId.get(id.toLowerCase());
    if (known) known.closed = true;
  }

  /** Sessions of `modelId` still running by chain time for which `counts` holds. */
  countRunning(modelId: Hex, counts: (session: ServedSession) => boolean = () => true, nowMs = Date.now()): number {
    let n = 0;
    for (const id of this.byModel.get(modelId) ?? []) {
      const session = this.byId.get(id)!;
      if (!hasEnded(session, nowMs) && counts(session)) n++;
    }
    return n;
  }

  /** Drops ended sessions; returns how many. */
  prune(nowMs = Date.now()): number {
    let dropped = 0;
    for (const [id, session] of this.byId) {
      if (!hasEnded(session, nowMs)) continue;
      this.remove(id);
      dropped++;
    }
    return dropped;
  }

  private remove(id: string): void {
    const session = this.byId.get(id);
    if (!session) return;
    this.byId.delete(id);
    const ofModel = this.byModel.get(session.modelId);
    ofModel?.delete(id);
    if (ofModel?.size === 0) this.byModel.delete(session.modelId);
  }
}
