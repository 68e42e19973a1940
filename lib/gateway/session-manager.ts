// The gateway's pool of on-chain sessions, shared by every request and every gateway instance
// through the database. A request claims one idle session (providers serve one request per
// session at a time) with an atomic UPDATE … FOR UPDATE SKIP LOCKED, so two instances never get
// the same one; when none is idle a new session is opened with the best-rated bid, up to a cap
// per model counted under a per-model lock, so instances never over-open. A background loop
// renews sessions before they expire, closes idle ones with the provider's signed receipt,
// withdraws stakes released from hold, and after a restart puts the pool back in order.
// Between its requests an instance keeps the sessions it just used ("parked"): still 'busy' under
// its claim in the database, so no other instance can take them, but free in memory, so the next
// request here takes one with no database round trip for the claim or the release. A parked
// session unused for parkIdleMs goes back to the shared pool (and its request count with it).
import { randomUUID } from "node:crypto";
import type { Address, Hash, Hex } from "viem";
import {
  getBid,
  getProvider,
  getSession,
  getSessionEconomics,
  getUserSessionIds,
  getUserSessionIdsPage,
  getUserStakesOnHold,
  readMany,
  stakeForDuration,
  type Session,
  type SessionEconomics,
} from "@/lib/chain/reads";
import { withdrawUserStakes } from "@/lib/chain/writes";
import {
  obtainCloseReceipt,
  openApprovedSession,
  requestApproval,
  submitClose,
  type Consumer,
  type OpenedSession,
} from "@/lib/consumer";
import { Prisma, type Db, type GatewaySession } from "@/lib/db";
import { mapBounded } from "@/lib/map-bounded";
import { ApiError } from "./errors";
import type { GatewayModel, ModelDirectory, RankedOffer } from "./models";
import { TxQueue } from "./tx-queue";
import { byRequestId } from "./usage";

export interface GatewayLog {
  info(message: string): void;
  error(message: string): void;
}

export interface SessionManagerOptions {
  db: Db;
  consumer: Consumer;
  directory: ModelDirectory;
  /** Stable across restarts of the same instance: its leftover claims are released at start. */
  instanceId: string;
  /** How long the sessions it opens last (the stake is sized from it and the bid price). */
  sessionSeconds: number;
  /** Unsettled sessions (opening, idle, busy, closing) per model, all instances together. */
  maxSessionsPerModel: number;
  /** Unsettled sessions across all models, all instances together (default: no cap beyond the per-model one). */
  maxSessionsTotal?: number;
  /** Sessions opened with one provider per minute, all instances together (default 10). */
  maxOpeningsPerProviderPerMinute?: number;
  /** Offers whose session needs a larger stake (wei) are not used. */
  maxStakePerSession?: bigint;
  /** Stake (wei) of all unsettled sessions together; no opening goes past it. */
  maxTotalStake?: bigint;
  /** A session unused this long is closed. */
  idleCloseMs: number;
  /** Sessions this close to their end are not handed out; recently used ones are replaced first. */
  renewBeforeSeconds: number;
  directPayment: boolean;
  /** A provider that failed is skipped this long. */
  providerCooldownMs: number;
  /** How long a request waits for a session when the model is at its cap. */
  acquireTimeoutMs: number;
  maintenanceIntervalMs: number;
  /**
   * A provider that cannot be reached for its close receipt is retried this long (and at least
   * RECEIPT_MIN_TRIES times) before its session is closed as a dispute.
   */
  receiptGiveUpMs: number;
  /** Longest one request may hold a session (below ABANDONED_CLAIM_MS, so the sweep never frees a live claim). */
  maxHoldMs?: number;
  /** How long a session this instance just used stays parked here before it goes back to the shared pool (0 = never parked; default 1000). */
  parkIdleMs?: number;
  log: GatewayLog;
}

/**
 * The usage record a request starts with: written as "running" by the statement that claims its
 * session (no extra round trip), completed by the usage writer when the request ends, and marked
 * interrupted by the next start's recovery if the process died first.
 */
export interface UsageStart {
  requestId: string;
  apiKeyId: string;
  endpoint: string;
  stream: boolean;
  model: string;
  startedAt: Date;
}

/** One request's hold on a session. */
export interface SessionLease {
  readonly rowId: string;
  readonly modelId: Hex;
  readonly session: Pick<OpenedSession, "sessionId" | "endpoint" | "providerPubKey" | "provider" | "bidId">;
  /** True when the session was opened for this request. */
  readonly opened: boolean;
  /** This claim's own token: release frees the session only while the claim is still this one. */
  readonly claimToken: string;
  /** Aborts when the request has held the session as long as one request may (maxHoldMs). */
  readonly holdExpired: AbortSignal;
  /** When this claim was made (ms): a release still failing past ABANDONED_CLAIM_MS is left to the sweep. */
  readonly claimedAt: number;
  /** When the session ends on-chain (ms). */
  readonly endsAtMs: number;
  /** When the row's claimed_at was last written: the claim a parked session still runs on. */
  readonly claimWrittenAt: number;
  /** Requests this claim served before this one, not yet added to the row's request_count. */
  readonly earlierUses: number;
}

/** A session this instance holds between its requests (see the top of the file). */
type Parked = { lease: SessionLease; parkedAt: number; uses: number; lastUsedAt: number };

/** A request left holding a session longer than any request can take (its process died). */
const ABANDONED_CLAIM_MS = 10 * 60_000;
/** The longest one request holds a session by default: well below ABANDONED_CLAIM_MS. */
const MAX_HOLD_MS = 5 * 60_000;
const WITHDRAW_EVERY_MS = 5 * 60_000;
/** A close that failed (provider slow, chain hiccup) is tried again after this pause (or sooner, see closeRetryMs). */
const CLOSE_RETRY_MS = 30_000;
/** Session ids read per chain call when looking for the wallet's latest sessions. */
const RECOVERY_PAGE = 100n;
/** Tries without an answer from the provider before its session may be closed as a dispute. */
const RECEIPT_MIN_TRIES = 3;
/** Releases kept for retrying during a database outage; past it the abandoned-claim sweep frees them. */
const MAX_PENDING_RELEASES = 10_000;
const RELEASE_RETRY_MIN_MS = 200;
const RELEASE_RETRY_MAX_MS = 5_000;

type PendingRelease = {
  lease: SessionLease;
  outcome: "ok" | "broken";
  note: string | null;
  claimedAt: number;
  tries: number;
  /** Requests served under this claim, added to request_count when it lands. */
  uses: number;
  lastUsedAt: Date;
};

const DEFAULT_PARK_IDLE_MS = 1_000;
/** Parked sessions at most (the caps keep far fewer; this bounds memory whatever they are). */
const MAX_PARKED = 10_000;
/**
 * A parked session is handed out only while its claim is this much younger than the sweep's limit
 * minus the longest a request may hold it, so the sweep never frees a claim a request still uses.
 */
const PARK_CLAIM_MARGIN_MS = 30_000;

/** A request waiting at the cap is woken by releases in this process; this slow poll catches other instances'. */
const WAITER_POLL_MS = 2_000;
const DEFAULT_OPENINGS_PER_PROVIDER_PER_MINUTE = 10;
const ECONOMICS_TTL_MS = 60_000;
/** Closes and renewals of one maintenance pass in flight at once. */
const UPKEEP_CONCURRENCY = 8;
/** Running usage records sent in one statement at most (the rest follow in the next). */
const RUNNING_RECORDS_PER_STATEMENT = 200;
/** Running usage records waiting for the database at most (it is stalled when this many wait). */
const MAX_QUEUED_RUNNING_RECORDS = 10_000;
/** Sessions that hold stake and a slot: everything not yet closed or failed. */
const UNSETTLED = ["opening", "idle", "busy", "closing"];

/** Why no session could be reserved for an offer. */
type Refusal = "model_cap" | "total_cap" | "total_stake" | "provider_rate" | "session_stake";

type RawSessionRow = {
  id: string;
  session_id: string | null;
  bid_id: string;
  provider_address: string;
  provider_endpoint: string;
  provider_pub_key: string | null;
  ends_at: Date | null;
};

export class SessionManager {
  private readonly txQueue = new TxQueue();
  private readonly cooldown = new Map<string, { until: number; reason: string }>();
  /** Providers whose fresh session failed before any reply: no new session is opened with them for a cooldown. */
  private readonly openingPause = new Map<string, number>();
  /** The compute budget figures that size stakes: they change once a day, and reading them takes several calls. */
  private economics: { at: number; value: Promise<SessionEconomics> } | undefined;
  /** Requests waiting for a session of a model (at its cap), oldest first. */
  private readonly waiters = new Map<Hex, Set<() => void>>();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private lastWithdrawAt = 0;
  private stopped = false;
  /** Releases the database refused, by claim token, retried until they land (bounded). */
  private readonly pendingReleases = new Map<string, PendingRelease>();
  /** Sessions parked in this instance, per model, most recently used last. */
  private readonly parked = new Map<Hex, Parked[]>();
  private parkedCount = 0;
  private parkTimer: NodeJS.Timeout | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  private releaseBackoffMs = 0;
  /** Running usage records of requests served by parked sessions, not yet sent (by request id). */
  private readonly runningRecords = new Map<string, { lease: SessionLease; usage: UsageStart }>();
  private writingRunningRecords: Promise<void> | undefined;

  constructor(private readonly o: SessionManagerOptions) {
    if ((o.maxHoldMs ?? MAX_HOLD_MS) >= ABANDONED_CLAIM_MS) throw new Error("maxHoldMs must stay below the abandoned-claim sweep");
  }

  /** Pause before a failed close is retried: at most CLOSE_RETRY_MS, and short enough for several receipt tries before giving up. */
  private get closeRetryMs(): number {
    return Math.min(CLOSE_RETRY_MS, Math.floor(this.o.receiptGiveUpMs / (RECEIPT_MIN_TRIES + 1)));
  }

  private get wallet(): string {
    return this.o.consumer.account.address.toLowerCase();
  }

  private get chainId(): number {
    return Number(this.o.consumer.chainId);
  }

  /** Recovers the pool left by a previous run, then keeps it in order in the background. */
  async start(): Promise<void> {
    await this.recover();
    const tick = () => {
      if (this.stopped) return;
      this.maintain()
        .catch((error) => this.o.log.error(`session maintenance: ${(error as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.maintenanceTimer = setTimeout(tick, this.o.maintenanceIntervalMs).unref();
        });
    };
    this.maintenanceTimer = setTimeout(tick, this.o.maintenanceIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.maintenanceTimer) clearTimeout(this.maintenanceTimer);
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    if (this.parkTimer) clearTimeout(this.parkTimer);
    // Parked sessions go back to the shared pool for the other instances.
    await this.unpark(() => true);
    // Last chance for releases still waiting (the next start's recovery frees the rest).
    for (const [token, p] of [...this.pendingReleases]) if (await this.tryRelease(p)) this.pendingReleases.delete(token);
    await this.maintaining?.catch(() => {});
    await this.writingRunningRecords;
  }

  // --- providers that failed ------------------------------------------------------------------

  markProviderFailed(provider: Address | string, reason: string): void {
    this.cooldown.set(provider.toLowerCase(), { until: Date.now() + this.o.providerCooldownMs, reason });
    this.o.log.error(`provider ${provider} skipped for ${Math.round(this.o.providerCooldownMs / 1000)} s: ${reason}`);
  }

  /**
   * A fresh session with `provider` failed before any reply, whatever the error: no new session is
   * opened with it for a cooldown (each opening stakes MOR), while its sessions already open still serve.
   */
  pauseOpenings(provider: Address | string, reason: string): void {
    this.openingPause.set(provider.toLowerCase(), Date.now() + this.o.providerCooldownMs);
    this.o.log.error(`no new sessions with provider ${provider} for ${Math.round(this.o.providerCooldownMs / 1000)} s: its fresh session failed before any reply: ${reason}`);
  }

  private openingsPaused(provider: string): boolean {
    const until = this.openingPause.get(provider.toLowerCase());
    if (until !== undefined && until <= Date.now()) this.openingPause.delete(provider.toLowerCase());
    return until !== undefined && until > Date.now();
  }

  private inCooldown(provider: string): boolean {
    const entry = this.cooldown.get(provider.toLowerCase());
    if (entry && entry.until <= Date.now()) this.cooldown.delete(provider.toLowerCase());
    return entry !== undefined && entry.until > Date.now();
  }

  // --- acquiring a session for a request ------------------------------------------------------

  /**
   * A session for one request on `model`: an idle one from the pool (preferring better-rated
   * providers), else a newly opened one with the best bid that works. Throws ApiError 503 when no
   * provider can serve or every session stays busy past acquireTimeoutMs.
   */
  async acquire(
    model: GatewayModel,
    { signal, exclude, usage }: { signal?: AbortSignal; exclude?: ReadonlySet<string>; usage?: UsageStart } = {},
  ): Promise<SessionLease> {
    const deadline = Date.now() + this.o.acquireTimeoutMs;
    const ranked = await this.o.directory.rankedOffers(model);
    const failed = new Set(exclude ?? []);
    for (;;) {
      const candidates = ranked.filter((o) => !failed.has(o.provider.toLowerCase()) && !this.inCooldown(o.provider));
      if (candidates.length === 0) {
        throw new ApiError("no_provider_available", ranked.length === 0 ? `No provider currently serves ${model.id}.` : `No provider of ${model.id} is reachable right now; please retry shortly.`);
      }
      const preferred = candidates.map((o) => o.provider.toLowerCase());
      const claimed = this.takeParked(model.modelId, preferred, usage) ?? (await this.claimIdle(model.modelId, preferred, usage));
      if (claimed) return claimed;

      let atCap = false;
      for (const offer of candidates) {
        if (this.openingsPaused(offer.provider)) continue;
        signal?.throwIfAborted(); // the client left: open nothing more for it
        const reserved = await this.reserveOpening(model.modelId, offer);
        if (reserved === "provider_rate") continue; // enough openings with this provider for now: the next offer
        if (reserved === "session_stake") {
          failed.add(offer.provider.toLowerCase()); // its session would need more stake than the operator allows
          continue;
        }
        if (typeof reserved === "string") {
          atCap = true;
          break;
        }
        try {
          return await this.openReserved(reserved, offer, signal, usage);
        } catch (error) {
          if (signal?.aborted) throw error;
          if (!isProviderSideFailure(error)) {
            // Our wallet, our RPC or the chain: another provider would fail the same way.
            this.o.log.error(`opening a session with ${offer.provider} failed on the gateway's side: ${(error as Error).message}`);
            throw new ApiError("gateway_unavailable", "The gateway cannot open a session right now; please retry shortly.", { cause: error });
          }
          failed.add(offer.provider.toLowerCase());
          this.markProviderFailed(offer.provider, `opening a session failed: ${(error as Error).message}`);
        }
      }
      if (!atCap && candidates.every((o) => failed.has(o.provider.toLowerCase()))) continue; // the loop ends with the 503 above
      if (!atCap) {
        // Every remaining offer is paused or at its opening rate: wait for a session to free up.
        await this.waitForRelease(model.modelId, deadline, signal);
        continue;
      }
      // Idle sessions this request cannot use (provider in cooldown or no longer offered) must not
      // keep the model at its cap: they are closed now, and their close wakes the waiters.
      const usable = new Set(candidates.map((o) => o.provider.toLowerCase()));
      await this.unpark((p) => p.lease.modelId === model.modelId && !usable.has(p.lease.session.provider.toLowerCase()));
      if ((await this.evictUnusableIdle(model.modelId, [...usable])) > 0) void this.maintain().catch(() => {});
      await this.waitForRelease(model.modelId, deadline, signal);
    }
  }

  /**
   * Puts the session back: parked here for this instance's next request, idle in the shared pool,
   * or closing if it misbehaved. Only the claim the lease was given is released: if the sweep freed
   * it and another request claimed the session since, this is a no-op. Never throws: a release the
   * database refuses (an outage) is retried in the background until it lands or the claim is old
   * enough for the abandoned-claim sweep.
   */
  async release(lease: SessionLease, outcome: "ok" | "broken", note?: string): Promise<void> {
    if (outcome === "ok" && this.park(lease)) return;
    const uses = lease.earlierUses + (outcome === "ok" ? 1 : 0);
    await this.returnToPool({ lease, outcome, note: truncate(note), claimedAt: lease.claimedAt, tries: 0, uses, lastUsedAt: new Date() });
  }

  private async returnToPool(pending: PendingRelease): Promise<void> {
    if (await this.tryRelease(pending)) return;
    if (this.pendingReleases.size >= MAX_PENDING_RELEASES) {
      // The sweep frees it after ABANDONED_CLAIM_MS; bounded memory matters more during a long outage.
      this.o.log.error(`release of session row ${pending.lease.rowId} dropped: ${MAX_PENDING_RELEASES} releases are already waiting for the database`);
      return;
    }
    this.pendingReleases.set(pending.lease.claimToken, pending);
    this.scheduleReleaseRetry();
  }

  /** Releases waiting for the database (tests, status). */
  get pendingReleaseCount(): number {
    return this.pendingReleases.size;
  }

  /** Sessions parked in this instance (tests, status). */
  get parkedSessionCount(): number {
    return this.parkedCount;
  }

  private get parkIdleMs(): number {
    return this.o.parkIdleMs ?? DEFAULT_PARK_IDLE_MS;
  }

  /** Whether a session under a claim written at `claimWrittenAt` may serve one more request (see PARK_CLAIM_MARGIN_MS). */
  private claimHoldsAnotherRequest(claimWrittenAt: number, now: number): boolean {
    return now - claimWrittenAt < ABANDONED_CLAIM_MS - (this.o.maxHoldMs ?? MAX_HOLD_MS) - PARK_CLAIM_MARGIN_MS;
  }

  /** A session fit to serve another request here, unless it ends soon or its claim is too old. */
  private parkable(lease: SessionLease, now: number): boolean {
    return lease.endsAtMs > now + this.o.renewBeforeSeconds * 1000 && this.claimHoldsAnotherRequest(lease.claimWrittenAt, now);
  }

  /** Keeps a session that served a request well for this instance's next one; false when it goes back to the pool instead. */
  private park(lease: SessionLease): boolean {
    const now = Date.now();
    if (this.stopped || this.parkIdleMs <= 0 || this.parkedCount >= MAX_PARKED || !this.parkable(lease, now)) return false;
    let list = this.parked.get(lease.modelId);
    if (!list) this.parked.set(lease.modelId, (list = []));
    list.push({ lease, parkedAt: now, uses: lease.earlierUses + 1, lastUsedAt: now });
    this.parkedCount++;
    this.scheduleUnpark();
    // One session freed: wake the longest waiter for this model, not all of them.
    this.wake(lease.modelId);
    return true;
  }

  /**
   * A parked session of `modelId` for a new request, from the provider earliest in `preferred`
   * (the most recently used one among equals): no database round trip for the claim. The
   * request's running usage record is written in the background.
   */
  private takeParked(modelId: Hex, preferred: string[], usage?: UsageStart): SessionLease | undefined {
    const list = this.parked.get(modelId);
    if (!list) return undefined;
    const now = Date.now();
    let best = -1;
    let bestRank = Infinity;
    for (let i = list.length - 1; i >= 0; i--) {
      const rank = preferred.indexOf(list[i].lease.session.provider.toLowerCase());
      if (rank >= 0 && rank < bestRank && this.parkable(list[i].lease, now)) [best, bestRank] = [i, rank];
    }
    if (best < 0) return undefined;
    const [taken] = list.splice(best, 1);
    if (list.length === 0) this.parked.delete(modelId);
    this.parkedCount--;
    const lease: SessionLease = { ...taken.lease, opened: false, claimedAt: now, holdExpired: this.holdSignal(), earlierUses: taken.uses };
    if (usage) this.writeRunningUsage(lease, usage);
    return lease;
  }

  /**
   * The running usage record of a request served by a parked session (claims from the database
   * write it in their statement). Sent at once when no such write is under way; otherwise it
   * waits for that one and goes with every other record queued meanwhile, in one statement (a
   * group commit: no added delay, and one statement per round trip instead of one per request).
   */
  private writeRunningUsage(lease: SessionLease, usage: UsageStart): void {
    // One entry per request running here (a failover of the same request replaces its entry). While
    // the database stalls they wait, up to a bound; past it a request goes without its running record
    // (its final record still lands through the usage writer).
    if (this.runningRecords.size >= MAX_QUEUED_RUNNING_RECORDS && !this.runningRecords.has(usage.requestId)) {
      this.o.log.error(`request ${usage.requestId}: its running usage record was not written: ${MAX_QUEUED_RUNNING_RECORDS} are waiting for the database`);
      return;
    }
    this.runningRecords.set(usage.requestId, { lease, usage });
    this.sendRunningRecords();
  }

  /**
   * Starts the sender unless it is running. The flag is cleared inside the sender, after its last
   * look at the queue, so a record queued at any moment is either seen by the running sender or
   * starts a new one (never left waiting for the next request).
   */
  private sendRunningRecords(): void {
    if (this.writingRunningRecords) return;
    // The loop starts in a later microtask, so the flag is always set before the loop can clear it.
    this.writingRunningRecords = Promise.resolve().then(async () => {
      try {
        while (this.runningRecords.size > 0) await this.sendRunningBatch();
      } finally {
        this.writingRunningRecords = undefined;
      }
    });
  }

  private async sendRunningBatch(): Promise<void> {
    const batch = [...this.runningRecords.values()].slice(0, RUNNING_RECORDS_PER_STATEMENT).sort((a, b) => byRequestId(a.usage.requestId, b.usage.requestId));
    for (const { usage } of batch) this.runningRecords.delete(usage.requestId);
    const rows = batch.map(
      ({ lease, usage }) =>
        // Typed here: VALUES takes its parameters as text.
        Prisma.sql`(${usage.apiKeyId}::uuid, ${usage.requestId}::text, ${usage.endpoint}::text, ${usage.stream}::boolean, ${usage.model.slice(0, 200)}::text,
          ${lease.session.provider.toLowerCase()}::text, ${lease.session.sessionId.toLowerCase()}::text, ${usage.startedAt}::timestamptz)`,
    );
    try {
      await this.o.db.$executeRaw(
        this.insertRunningRecords(Prisma.sql`(VALUES ${Prisma.join(rows)}) AS v(api_key_id, request_id, endpoint, stream, model, provider_address, session_id, created_at)`),
      );
    } catch (error) {
      // The requests' final records still land through the usage writer.
      this.o.log.error(`${batch.length} running usage record(s) not written (requests ${batch.map((b) => b.usage.requestId).join(", ")}): ${(error as Error).message}`);
    }
  }

  /** Returns the parked sessions `which` selects to the shared pool. */
  private async unpark(which: (p: Parked) => boolean): Promise<void> {
    const leaving: Parked[] = [];
    for (const [modelId, list] of this.parked) {
      const staying: Parked[] = [];
      for (const p of list) (which(p) ? leaving : staying).push(p);
      if (staying.length === 0) this.parked.delete(modelId);
      else this.parked.set(modelId, staying);
    }
    this.parkedCount -= leaving.length;
    await Promise.all(
      leaving.map((p) =>
        this.returnToPool({ lease: p.lease, outcome: "ok", note: null, claimedAt: p.lease.claimWrittenAt, tries: 0, uses: p.uses, lastUsedAt: new Date(p.lastUsedAt) }),
      ),
    );
  }

  /** While sessions are parked, returns those idle for parkIdleMs (or no longer fit to serve) to the shared pool. */
  private scheduleUnpark(): void {
    if (this.stopped || this.parkTimer || this.parkedCount === 0) return;
    this.parkTimer = setTimeout(
      () => {
        const now = Date.now();
        void this.unpark((p) => now - p.parkedAt >= this.parkIdleMs || !this.parkable(p.lease, now))
          .catch((error: unknown) => this.o.log.error(`returning parked sessions to the pool: ${(error as Error).message}`))
          .finally(() => {
            this.parkTimer = undefined;
            this.scheduleUnpark();
          });
      },
      Math.max(50, Math.ceil(this.parkIdleMs / 2)),
    );
    this.parkTimer.unref();
  }

  private async tryRelease(p: PendingRelease): Promise<boolean> {
    try {
      if (p.outcome === "ok") {
        await this.o.db.$executeRaw`
          UPDATE gateway_sessions SET state = 'idle', claimed_by = NULL, claimed_at = NULL, claim_token = NULL, last_used_at = ${p.lastUsedAt}, request_count = request_count + ${p.uses}
          WHERE id = ${p.lease.rowId}::uuid AND state = 'busy' AND claim_token = ${p.lease.claimToken}::uuid`;
        // One session freed: wake the longest waiter for this model, not all of them.
        this.wake(p.lease.modelId);
      } else {
        // The maintenance loop closes it (with the provider's receipt if it still answers).
        await this.o.db.$executeRaw`
          UPDATE gateway_sessions SET state = 'closing', claimed_by = NULL, claimed_at = NULL, claim_token = NULL, note = ${p.note}, request_count = request_count + ${p.uses}
          WHERE id = ${p.lease.rowId}::uuid AND state = 'busy' AND claim_token = ${p.lease.claimToken}::uuid`;
      }
      return true;
    } catch (error) {
      p.tries++;
      if (p.tries === 1) this.o.log.error(`releasing session row ${p.lease.rowId} failed, retrying in the background: ${(error as Error).message}`);
      return false;
    }
  }

  /** Retries the waiting releases with backoff (doubling from 200 ms to 5 s), one pass at a time. */
  private scheduleReleaseRetry(): void {
    if (this.stopped || this.releaseTimer || this.pendingReleases.size === 0) return;
    this.releaseTimer = setTimeout(async () => {
      for (const [token, p] of [...this.pendingReleases]) {
        // The abandoned-claim sweep frees it from here on (and another request may own it since).
        const expired = Date.now() - p.claimedAt >= ABANDONED_CLAIM_MS;
        if (expired || (await this.tryRelease(p))) {
          this.pendingReleases.delete(token);
          if (!expired) this.o.log.info(`session row ${p.lease.rowId} released after ${p.tries} failed tries`);
          this.releaseBackoffMs = 0;
        } else {
          this.releaseBackoffMs = Math.min(RELEASE_RETRY_MAX_MS, Math.max(RELEASE_RETRY_MIN_MS, this.releaseBackoffMs * 2));
          break; // the database is still down: no use trying the others now
        }
      }
      this.releaseTimer = undefined;
      this.scheduleReleaseRetry();
    }, this.releaseBackoffMs || RELEASE_RETRY_MIN_MS);
    this.releaseTimer.unref();
  }

  /**
   * The part of a claim statement (after a `claimed` CTE returning session_id and
   * provider_address) that writes the request's usage record as running.
   */
  private runningUsage(usage: UsageStart | undefined): Prisma.Sql {
    if (!usage) return Prisma.sql`no_usage AS (SELECT 1)`;
    return Prisma.sql`usage AS (${this.insertRunningRecords(
      Prisma.sql`(SELECT ${usage.apiKeyId}::uuid AS api_key_id, ${usage.requestId}::text AS request_id, ${usage.endpoint}::text AS endpoint,
        ${usage.stream}::boolean AS stream, ${usage.model.slice(0, 200)}::text AS model, claimed.provider_address, claimed.session_id,
        ${usage.startedAt}::timestamptz AS created_at FROM claimed) AS v`,
    )})`;
  }

  /**
   * Writes running usage records from `source`, a relation `v` of (api_key_id, request_id,
   * endpoint, stream, model, provider_address, session_id, created_at). A key deleted since it was
   * verified gets no record (and must not fail a claim: the record's key would be missing). A
   * request's failover moves its running record to the new session; a finished record is never touched.
   */
  private insertRunningRecords(source: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`
      INSERT INTO usage_records (id, api_key_id, request_id, endpoint, stream, model, provider_address, session_id, duration_ms, status, instance_id, created_at)
      SELECT gen_random_uuid(), v.api_key_id, v.request_id, v.endpoint, v.stream, v.model, v.provider_address, v.session_id, 0, 'running', ${this.o.instanceId}, v.created_at
      FROM ${source}
      WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = v.api_key_id)
      ON CONFLICT (request_id) DO UPDATE SET provider_address = EXCLUDED.provider_address, session_id = EXCLUDED.session_id
      WHERE usage_records.status = 'running'`;
  }

  private holdSignal(): AbortSignal {
    return AbortSignal.timeout(this.o.maxHoldMs ?? MAX_HOLD_MS);
  }

  /** Idle sessions of `modelId` whose provider is not among `usable`: queued for closing; returns how many. */
  private async evictUnusableIdle(modelId: Hex, usable: string[]): Promise<number> {
    const evicted = await this.o.db.$executeRaw`
      UPDATE gateway_sessions SET state = 'closing', claimed_by = NULL, claimed_at = NULL, note = 'closed to make room: its provider is in cooldown or no longer offered'
      WHERE model_id = ${modelId} AND state = 'idle' AND user_address = ${this.wallet} AND chain_id = ${this.chainId}
        AND NOT (provider_address = ANY(${usable}::text[]))`;
    if (evicted > 0) this.o.log.info(`${evicted} idle session(s) of ${modelId} queued for closing to make room under the cap`);
    return evicted;
  }

  private async claimIdle(modelId: Hex, preferredProviders: string[], usage?: UsageStart): Promise<SessionLease | undefined> {
    const usableUntil = new Date(Date.now() + this.o.renewBeforeSeconds * 1000);
    const claimToken = randomUUID();
    const rows = await this.o.db.$queryRaw<RawSessionRow[]>`
      WITH claimed AS (
        UPDATE gateway_sessions SET state = 'busy', claimed_by = ${this.o.instanceId}, claimed_at = now(), claim_token = ${claimToken}::uuid
        WHERE id = (
          SELECT id FROM gateway_sessions
          WHERE model_id = ${modelId} AND state = 'idle' AND user_address = ${this.wallet} AND chain_id = ${this.chainId}
            AND ends_at > ${usableUntil} AND provider_address = ANY(${preferredProviders}::text[])
          ORDER BY array_position(${preferredProviders}::text[], provider_address), last_used_at DESC
          LIMIT 1
          FOR UPDATE SKIP LOCKED
        )
        RETURNING id, session_id, bid_id, provider_address, provider_endpoint, provider_pub_key, ends_at
      ), ${this.runningUsage(usage)}
      SELECT * FROM claimed`;
    const row = rows[0];
    if (!row) return undefined;
    const now = Date.now();
    return {
      rowId: row.id,
      modelId,
      opened: false,
      claimToken,
      claimedAt: now,
      claimWrittenAt: now,
      earlierUses: 0,
      endsAtMs: row.ends_at?.getTime() ?? 0,
      holdExpired: this.holdSignal(),
      session: {
        sessionId: row.session_id as Hash,
        endpoint: row.provider_endpoint,
        providerPubKey: row.provider_pub_key as Hex,
        provider: row.provider_address as Address,
        bidId: row.bid_id as Hash,
      },
    };
  }

  /**
   * Writes the 'opening' row if every spending limit allows one more session: per model, in total,
   * per provider per minute, stake per session and in total. Checks and insert are atomic across
   * instances (one lock per wallet), and every unsettled session counts, closing ones included.
   */
  private async reserveOpening(modelId: Hex, offer: RankedOffer): Promise<GatewaySession | Refusal> {
    const stake = stakeForDuration(await this.sessionEconomics(), offer.pricePerSecond, BigInt(this.o.sessionSeconds));
    if (this.o.maxStakePerSession !== undefined && stake > this.o.maxStakePerSession) {
      this.o.log.error(`bid ${offer.bidId} of ${offer.provider} skipped: its session needs a stake of ${stake} wei, over GATEWAY_MAX_STAKE_PER_SESSION`);
      return "session_stake";
    }
    const provider = offer.provider.toLowerCase();
    return this.o.db.$transaction(async (tx) => {
      // Serialises the wallet's openers across instances (on PGlite, transactions already are).
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`gateway-open:${this.wallet}`}))`;
      const [usage] = await tx.$queryRaw<{ model: number; total: number; staked: string; recent: number }[]>`
        SELECT
          count(*) FILTER (WHERE state::text = ANY(${UNSETTLED}::text[]) AND model_id = ${modelId})::int AS model,
          count(*) FILTER (WHERE state::text = ANY(${UNSETTLED}::text[]))::int AS total,
          COALESCE(sum(stake) FILTER (WHERE state::text = ANY(${UNSETTLED}::text[])), 0)::text AS staked,
          count(*) FILTER (WHERE provider_address = ${provider} AND created_at > now() - interval '1 minute')::int AS recent
        FROM gateway_sessions
        WHERE user_address = ${this.wallet} AND chain_id = ${this.chainId}`;
      if (usage.model >= this.o.maxSessionsPerModel) return "model_cap";
      if (this.o.maxSessionsTotal !== undefined && usage.total >= this.o.maxSessionsTotal) return "total_cap";
      if (this.o.maxTotalStake !== undefined && BigInt(usage.staked) + stake > this.o.maxTotalStake) return "total_stake";
      if (usage.recent >= (this.o.maxOpeningsPerProviderPerMinute ?? DEFAULT_OPENINGS_PER_PROVIDER_PER_MINUTE)) return "provider_rate";
      return tx.gatewaySession.create({
        data: {
          chainId: this.chainId,
          userAddress: this.wallet,
          modelId,
          bidId: offer.bidId.toLowerCase(),
          providerAddress: provider,
          providerEndpoint: offer.endpoint,
          pricePerSecond: offer.pricePerSecond.toString(),
          // What it will stake, so that concurrent openings count it against the total at once.
          stake: stake.toString(),
          state: "opening",
          claimedBy: this.o.instanceId,
          claimedAt: new Date(),
        },
      });
      // On PGlite (one connection) many requests queue for it: wait longer than Prisma's 2 s for a turn.
    }, { maxWait: 10_000, timeout: 10_000 });
  }

  /** For counting a session's stake against the caps before its approval (which reads them afresh). */
  private sessionEconomics(): Promise<SessionEconomics> {
    if (!this.economics || Date.now() - this.economics.at > ECONOMICS_TTL_MS) {
      const value = getSessionEconomics(this.o.consumer.ctx);
      this.economics = { at: Date.now(), value };
      value.catch(() => (this.economics = undefined));
    }
    return this.economics.value;
  }

  private async openReserved(row: GatewaySession, offer: RankedOffer, signal?: AbortSignal, usage?: UsageStart): Promise<SessionLease> {
    try {
      const pending = await requestApproval(this.o.consumer, offer, {
        durationSeconds: BigInt(this.o.sessionSeconds),
        directPayment: this.o.directPayment,
        signal,
        timeouts: { firstByteMs: 15_000 },
      });
      await this.o.db.gatewaySession.update({
        where: { id: row.id },
        data: { providerPubKey: pending.approval.providerPubKey, stake: pending.stake.toString() },
      });
      if (this.o.maxStakePerSession !== undefined && pending.stake > this.o.maxStakePerSession) {
        throw new Error(`the session needs a stake of ${pending.stake} wei, over GATEWAY_MAX_STAKE_PER_SESSION`);
      }
      const opened = await this.txQueue.run(() => {
        // Queued behind other transactions: a request whose client left meanwhile opens nothing.
        signal?.throwIfAborted();
        return openApprovedSession(this.o.consumer, pending);
      });
      const claimToken = randomUUID();
      // The claim and the request's running usage record in one statement, as claimIdle does.
      await this.o.db.$queryRaw`
        WITH claimed AS (
          UPDATE gateway_sessions SET session_id = ${opened.sessionId.toLowerCase()}, opened_at = ${new Date(Number(opened.openedAt) * 1000)},
            ends_at = ${new Date(Number(opened.endsAt) * 1000)}, open_tx_hash = ${opened.openTxHash}, state = 'busy', claimed_at = now(),
            claim_token = ${claimToken}::uuid
          WHERE id = ${row.id}::uuid
          RETURNING id, session_id, provider_address
        ), ${this.runningUsage(usage)}
        SELECT id FROM claimed`;
      this.o.log.info(`opened session ${opened.sessionId} with ${offer.provider} (bid ${offer.bidId}, ends ${new Date(Number(opened.endsAt) * 1000).toISOString()})`);
      const now = Date.now();
      return {
        rowId: row.id,
        modelId: row.modelId as Hex,
        opened: true,
        claimToken,
        claimedAt: now,
        claimWrittenAt: now,
        earlierUses: 0,
        endsAtMs: Number(opened.endsAt) * 1000,
        holdExpired: this.holdSignal(),
        session: opened,
      };
    } catch (error) {
      // Nothing was opened on-chain unless openApprovedSession got that far; the reconciler
      // checks the chain before giving up on a row that has a pub key (see reconcileOpening).
      await this.o.db.gatewaySession
        .update({ where: { id: row.id }, data: { state: "failed", claimedBy: null, note: truncate((error as Error).message) } })
        .catch(() => {});
      this.wake(row.modelId as Hex); // its slot under the caps is free again
      throw error;
    }
  }

  private waitForRelease(modelId: Hex, deadline: number, signal?: AbortSignal): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      return Promise.reject(new ApiError("no_provider_available", "Every session of this model is busy; please retry shortly.", { headers: { "retry-after": "1" } }));
    }
    let waiting = this.waiters.get(modelId);
    if (!waiting) this.waiters.set(modelId, (waiting = new Set()));
    const queue = waiting;
    return new Promise((resolve, reject) => {
      // Woken by a release or close in this process; the slow poll catches other instances'.
      const leave = () => {
        clearTimeout(timer);
        queue.delete(done);
        if (queue.size === 0 && this.waiters.get(modelId) === queue) this.waiters.delete(modelId);
        signal?.removeEventListener("abort", onAbort);
      };
      const done = () => {
        leave();
        resolve();
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason ?? new Error("aborted"));
      };
      const timer = setTimeout(done, Math.min(remaining, WAITER_POLL_MS));
      queue.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** A session of `modelId` was freed or a slot under the caps opened: the longest waiter tries again. */
  private wake(modelId: Hex): void {
    this.waiters.get(modelId)?.values().next().value?.();
  }

  // --- background upkeep ----------------------------------------------------------------------

  /** One maintenance pass (also callable by tests). Passes never overlap within an instance. */
  maintain(): Promise<void> {
    this.maintaining ??= this.runMaintenance().finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  private async runMaintenance(): Promise<void> {
    // Claims a request left behind when its process died (a live request holds one at most maxHoldMs).
    await this.o.db.$executeRaw`
      UPDATE gateway_sessions SET state = 'idle', claimed_by = NULL, claimed_at = NULL, claim_token = NULL
      WHERE state = 'busy' AND user_address = ${this.wallet} AND claimed_at < ${new Date(Date.now() - ABANDONED_CLAIM_MS)}`;
    // Their requests' records too (an instance that died and never came back to recover them).
    await this.finishInterruptedUsage(Prisma.sql`created_at < ${new Date(Date.now() - ABANDONED_CLAIM_MS - this.o.acquireTimeoutMs)}`);
    await this.reconcileStaleOpenings();

    const idleSince = new Date(Date.now() - this.o.idleCloseMs);
    const endingBy = new Date(Date.now() + this.o.renewBeforeSeconds * 1000);
    // Claim what to close in one statement, so only one instance closes each session.
    const toClose = await this.o.db.$queryRaw<{ id: string; model_id: string; renew: boolean }[]>`
      UPDATE gateway_sessions SET state = 'closing', claimed_by = ${this.o.instanceId}, claimed_at = now()
      WHERE user_address = ${this.wallet} AND chain_id = ${this.chainId} AND (
        (state = 'idle' AND (last_used_at < ${idleSince} OR ends_at < ${endingBy}))
        OR (state = 'closing' AND claimed_by IS NULL AND (claimed_at IS NULL OR claimed_at < ${new Date(Date.now() - this.closeRetryMs)}))
        OR (state = 'closing' AND claimed_at < ${new Date(Date.now() - ABANDONED_CLAIM_MS)})
      )
      RETURNING id, model_id, (last_used_at >= ${idleSince} AND ends_at < ${endingBy}) AS renew`;
    // Concurrently, a few at a time: a provider that does not answer (each call has its own
    // absolute deadline) holds up only its own session's close, never the others' or the renewals.
    await mapBounded(toClose, UPKEEP_CONCURRENCY, async (row) => {
      if (this.stopped) return;
      if (row.renew) await this.renew(row.model_id as Hex).catch((e) => this.o.log.error(`renewing a session of ${row.model_id}: ${(e as Error).message}`));
      await this.close(row.id).then(
        () => this.wake(row.model_id as Hex), // a slot under the caps is free
        async (e) => {
          this.o.log.error(`closing session row ${row.id} failed, retrying in ${this.closeRetryMs / 1000} s: ${(e as Error).message}`);
          // Hand it back (any instance may retry after the pause) instead of holding it until the claim counts as abandoned.
          await this.o.db.$executeRaw`UPDATE gateway_sessions SET claimed_by = NULL, claimed_at = now() WHERE id = ${row.id}::uuid AND state = 'closing'`.catch(
            (handBack: unknown) => this.o.log.error(`handing back session row ${row.id}: ${(handBack as Error).message}`),
          );
        },
      );
    });
    if (Date.now() - this.lastWithdrawAt > WITHDRAW_EVERY_MS) {
      this.lastWithdrawAt = Date.now();
      await this.withdrawReleasedStakes().catch((e) => this.o.log.error(`withdrawing released stakes: ${(e as Error).message}`));
    }
  }

  /** Opens a replacement for a session about to end that is still in use, and leaves it idle. */
  private async renew(modelId: Hex): Promise<void> {
    const model = (await this.o.directory.list()).find((m) => m.modelId === modelId);
    if (!model) return;
    for (const offer of (await this.o.directory.rankedOffers(model)).filter((o) => !this.inCooldown(o.provider))) {
      if (this.openingsPaused(offer.provider)) continue;
      const reserved = await this.reserveOpening(modelId, offer);
      if (reserved === "provider_rate" || reserved === "session_stake") continue;
      if (typeof reserved === "string") return; // at a cap: the pool is big enough already
      try {
        const lease = await this.openReserved(reserved, offer);
        // Into the shared pool, not parked: no request has used it yet.
        await this.returnToPool({ lease, outcome: "ok", note: null, claimedAt: lease.claimedAt, tries: 0, uses: 0, lastUsedAt: new Date() });
        return;
      } catch (error) {
        this.markProviderFailed(offer.provider, `renewal failed: ${(error as Error).message}`);
      }
    }
  }

  /** Closes a row this instance claimed in state 'closing': receipt from the provider, or a dispute. */
  private async close(rowId: string): Promise<void> {
    const row = await this.o.db.gatewaySession.findUniqueOrThrow({ where: { id: rowId } });
    if (!row.sessionId) {
      await this.o.db.gatewaySession.update({ where: { id: rowId }, data: { state: "failed", claimedBy: null } });
      return;
    }
    const onChain = await getSession(this.o.consumer.ctx, row.sessionId as Hex);
    if (onChain.closedAt !== 0n) {
      await this.o.db.gatewaySession.update({
        where: { id: rowId },
        data: { state: "closed", closedAt: new Date(Number(onChain.closedAt) * 1000), claimedBy: null, note: row.note ?? "already closed on-chain" },
      });
      return;
    }
    const session = {
      sessionId: row.sessionId as Hash,
      endpoint: row.providerEndpoint,
      provider: row.providerAddress as Address,
      providerPubKey: (row.providerPubKey ?? undefined) as Hex | undefined,
    };
    // A provider that does not answer is tried again later; only one gone for good (several tries
    // over receiptGiveUpMs) or one whose session is about to end gets a dispute.
    const failedSince = row.firstCloseFailureAt?.getTime() ?? Date.now();
    const givingUp =
      (row.closeFailures + 1 >= RECEIPT_MIN_TRIES && Date.now() - failedSince >= this.o.receiptGiveUpMs) ||
      (row.endsAt !== null && row.endsAt.getTime() <= Date.now() + this.closeRetryMs);
    const receipt = await obtainCloseReceipt(this.o.consumer, session, {
      timeouts: { dialMs: 3_000, firstByteMs: 10_000 },
      ifUnreachable: givingUp ? "dispute" : "throw",
    }).catch(async (error: unknown) => {
      await this.o.db.$executeRaw`
        UPDATE gateway_sessions SET close_failures = close_failures + 1, first_close_failure_at = COALESCE(first_close_failure_at, now())
        WHERE id = ${rowId}::uuid`;
      throw error;
    });
    const hash = await this.txQueue.run(() => submitClose(this.o.consumer, receipt));
    await this.o.db.gatewaySession.update({
      where: { id: rowId },
      data: { state: "closed", closedAt: new Date(), closeTxHash: hash, claimedBy: null, disputed: receipt.disputed, note: truncate(receipt.disputeReason ?? row.note) },
    });
    this.o.directory.invalidate(); // the receipt changed the provider's on-chain stats
    this.o.log.info(`closed session ${row.sessionId} with ${row.providerAddress}${receipt.disputed ? ` as a dispute (${receipt.disputeReason})` : " with its receipt"}`);
  }

  private async withdrawReleasedStakes(): Promise<void> {
    const { available } = await getUserStakesOnHold(this.o.consumer.ctx, this.o.consumer.account.address);
    if (available === 0n) return;
    const { amount } = await this.txQueue.run(() => withdrawUserStakes(this.o.consumer.ctx, this.o.consumer.wallet));
    if (amount > 0n) this.o.log.info(`withdrew ${amount} wei of MOR released from hold`);
  }

  // --- after a restart ------------------------------------------------------------------------

  /**
   * Puts the pool back in order: this instance's leftover claims are released (their requests
   * died with the previous process), half-finished openings are checked against the chain, and
   * sessions open on-chain that the database does not know are closed, so none is orphaned.
   */
  async recover(): Promise<void> {
    // last_used_at = now(): a session just recovered is not "idle for long" and closed at once.
    const released = await this.o.db.$executeRaw`
      UPDATE gateway_sessions SET state = 'idle', claimed_by = NULL, claimed_at = NULL, claim_token = NULL, last_used_at = now()
      WHERE state = 'busy' AND claimed_by = ${this.o.instanceId}`;
    const interrupted = await this.finishInterruptedUsage(Prisma.sql`instance_id = ${this.o.instanceId}`);
    const reopened = await this.o.db.$executeRaw`
      UPDATE gateway_sessions SET claimed_at = ${new Date(0)}
      WHERE state = 'opening' AND claimed_by = ${this.o.instanceId}`;
    await this.reconcileStaleOpenings();
    const adopted = await this.closeOrphans();
    if (released || interrupted || reopened || adopted) {
      this.o.log.info(
        `recovered the session pool: ${released} claim(s) released, ${interrupted} interrupted request(s) on record, ${reopened} opening(s) checked, ${adopted} orphaned on-chain session(s) queued for closing`,
      );
    }
  }

  /**
   * Usage records still "running" whose request died with its process: finished as interrupted.
   * Their duration runs to now, capped at the longest a request may hold a session (the process
   * may have been down for a while before this runs).
   */
  private finishInterruptedUsage(which: Prisma.Sql): Promise<number> {
    const cap = this.o.maxHoldMs ?? MAX_HOLD_MS;
    return this.o.db.$executeRaw`
      UPDATE usage_records SET status = 'error', error_code = 'interrupted',
        duration_ms = LEAST(${cap}::int, GREATEST(0, floor(extract(epoch FROM now() - created_at) * 1000)))::int
      WHERE status = 'running' AND ${which}`;
  }

  /** 'opening' rows whose opener is gone: adopt the session if the chain has it, else mark failed. */
  private async reconcileStaleOpenings(): Promise<void> {
    const stale = await this.o.db.$queryRaw<{ id: string }[]>`
      UPDATE gateway_sessions SET claimed_by = ${this.o.instanceId}, claimed_at = now()
      WHERE state = 'opening' AND user_address = ${this.wallet} AND claimed_at < ${new Date(Date.now() - 2 * 60_000)}
      RETURNING id`;
    if (stale.length === 0) return;
    const rows = await this.o.db.gatewaySession.findMany({ where: { id: { in: stale.map((r) => r.id) } } });
    // A matching session was opened after its row was written: only the wallet's latest sessions can match.
    const onChain = await this.sessionsOpenedSince(Math.min(...rows.map((r) => r.createdAt.getTime())) - 60_000);
    const known = new Set(
      (
        await this.o.db.gatewaySession.findMany({
          where: { userAddress: this.wallet, sessionId: { in: onChain.map((s) => s.sessionId.toLowerCase()) } },
          select: { sessionId: true },
        })
      ).map((r) => r.sessionId),
    );
    for (const row of rows) {
      const id = row.id;
      const match = onChain.find(
        (s) => !known.has(s.sessionId.toLowerCase()) && s.bidId.toLowerCase() === row.bidId && s.closedAt === 0n && Number(s.openedAt) * 1000 >= row.createdAt.getTime() - 60_000,
      );
      if (match && row.providerPubKey) {
        known.add(match.sessionId.toLowerCase());
        await this.o.db.gatewaySession.update({
          where: { id },
          data: {
            sessionId: match.sessionId.toLowerCase(),
            openedAt: new Date(Number(match.openedAt) * 1000),
            endsAt: new Date(Number(match.endsAt) * 1000),
            stake: match.stake.toString(),
            state: "idle",
            claimedBy: null,
            claimedAt: null,
            note: "adopted after an interrupted opening",
          },
        });
      } else {
        await this.o.db.gatewaySession.update({ where: { id }, data: { state: "failed", claimedBy: null, note: "opening interrupted before the session was opened" } });
      }
    }
  }

  /** The wallet's on-chain sessions opened at or after `sinceMs`, read from the newest back (the list is in opening order). */
  private async sessionsOpenedSince(sinceMs: number): Promise<Session[]> {
    const ctx = this.o.consumer.ctx;
    const user = this.o.consumer.account.address;
    const [, total] = await getUserSessionIdsPage(ctx, user, 0n, 0n);
    const found: Session[] = [];
    for (let end = total; end > 0n; ) {
      const offset = end > RECOVERY_PAGE ? end - RECOVERY_PAGE : 0n;
      const [ids] = await getUserSessionIdsPage(ctx, user, offset, end - offset);
      const sessions = await readMany(ids, (id) => getSession(ctx, id));
      found.push(...sessions.filter((s) => Number(s.openedAt) * 1000 >= sinceMs));
      if (sessions.some((s) => Number(s.openedAt) * 1000 < sinceMs)) break;
      end = offset;
    }
    return found;
  }

  /**
   * On-chain sessions of the gateway wallet still open but unknown to the pool: queued for closing.
   * Only sessions opened since the last check are read: every earlier one is in the pool or closed.
   */
  private async closeOrphans(): Promise<number> {
    const ctx = this.o.consumer.ctx;
    const scan = await this.o.db.gatewayWalletScan.findUnique({ where: { chainId_userAddress: { chainId: this.chainId, userAddress: this.wallet } } });
    const from = scan?.checkedCount ?? 0;
    const ids = await getUserSessionIds(ctx, this.o.consumer.account.address, BigInt(from));
    const tracked = new Set(
      (await this.o.db.gatewaySession.findMany({ where: { userAddress: this.wallet, sessionId: { in: ids.map((i) => i.toLowerCase()) } }, select: { sessionId: true } })).map(
        (r) => r.sessionId,
      ),
    );
    const untracked = ids.filter((id) => !tracked.has(id.toLowerCase()));
    const sessions = (await readMany(untracked, (id) => getSession(ctx, id))).filter((s) => s.closedAt === 0n);
    let queued = 0;
    for (const s of sessions) {
      const bid = await getBid(ctx, s.bidId);
      const provider = await getProvider(ctx, bid.provider);
      await this.o.db.gatewaySession.createMany({
        data: [
          {
            sessionId: s.sessionId.toLowerCase(),
            chainId: this.chainId,
            userAddress: this.wallet,
            modelId: bid.modelId.toLowerCase(),
            bidId: s.bidId.toLowerCase(),
            providerAddress: bid.provider.toLowerCase(),
            providerEndpoint: provider.endpoint,
            pricePerSecond: bid.pricePerSecond.toString(),
            stake: s.stake.toString(),
            openedAt: new Date(Number(s.openedAt) * 1000),
            endsAt: new Date(Number(s.endsAt) * 1000),
            state: "closing",
            note: "open on-chain but unknown to the pool",
          },
        ],
        skipDuplicates: true,
      });
      queued++;
    }
    // Instances recovering at once may race: the checkpoint only moves forward.
    await this.o.db.$executeRaw`
      INSERT INTO gateway_wallet_scans (chain_id, user_address, checked_count, updated_at) VALUES (${this.chainId}, ${this.wallet}, ${from + ids.length}, now())
      ON CONFLICT (chain_id, user_address) DO UPDATE SET checked_count = GREATEST(gateway_wallet_scans.checked_count, EXCLUDED.checked_count), updated_at = now()`;
    return queued;
  }
}

/** Reverts of openSession that the provider's approval or bid caused; anything else is on our side. */
const PROVIDER_SIDE_REVERTS = new Set([
  "SessionProviderSignatureMismatch",
  "SessionApproveExpired",
  "SessionApprovedForAnotherChainId",
  "SessionDuplicateApproval",
  "SessionBidNotFound",
]);

/**
 * Whether an opening failure is the provider's (it refused or misbehaved over MOR-RPC, or its
 * approval / bid did not hold on-chain), so that trying another provider makes sense. Errors are
 * told apart by name: Next.js loads these modules once per bundle, so classes can differ.
 */
function isProviderSideFailure(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  if (name === "MorRpcError" || name === "SessionOpenError") return true;
  if (name === "ChainWriteError") return PROVIDER_SIDE_REVERTS.has((error as { errorName?: string }).errorName ?? "");
  return false;
}

function truncate(text: string | null | undefined): string | null {
  if (!text) return null;
  return text.length > 500 ? `${text.slice(0, 497)}…` : text;
}
