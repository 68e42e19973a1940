// The network as /status shows it: which providers answer (the background pinger), the gateway's
// session pool (database rows and the gateway wallet's stakes on-chain) and the chain head. Each
// part is read on its own, so one unreachable backend leaves the others on the page.
import "server-only";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainConfig, publicClient } from "@/lib/chain/config";
import { getUserStakesOnHold, type Reader } from "@/lib/chain/reads";
import { db, type Db } from "@/lib/db";
import { env } from "@/lib/env";
import { describeError } from "@/lib/redact";
import { modelDirectory } from "./catalog";
import { ProviderPinger, type PingRound, type PingTarget, type ProviderHealth } from "./provider-pinger";

export { PINGER_DEFAULTS, type PingRound, type ProviderHealth } from "./provider-pinger";

/** A part of the status that could be read, or why not. */
export type StatusPart<T> = { ok: true; value: T } | { ok: false; message: string };

export interface ChainHead {
  blockNumber: bigint;
  /** Block time, unix seconds. */
  timestamp: bigint;
  /** Seconds between the block time and now (never negative). */
  ageSeconds: number;
}

export type PoolState = "opening" | "idle" | "busy" | "closing" | "closed" | "failed";
const OPEN_STATES: readonly PoolState[] = ["opening", "idle", "busy", "closing"];

export interface PoolModelRow {
  modelId: Hex;
  /** Its catalog name, when the model is still in the catalog. */
  name?: string;
  sessions: Partial<Record<PoolState, number>>;
  /** MOR staked in this model's sessions not yet closed, wei. */
  staked: bigint;
}

export interface SessionPool {
  /** The gateway wallet, when this server has one. */
  wallet?: Address;
  models: PoolModelRow[];
  /** Sessions not yet closed, all models. */
  openSessions: number;
  staked: bigint;
  /** From the chain: MOR of closed sessions still held by the contract, and what can be withdrawn now. */
  onHold?: bigint;
  withdrawable?: bigint;
  /** Why onHold / withdrawable are missing, when the chain could not be read. */
  walletError?: string;
}

export interface NetworkStatus {
  /** When this status was read (ages on the page are relative to it). */
  readAt: Date;
  providers: StatusPart<PingRound | undefined>;
  pool: StatusPart<SessionPool>;
  head: StatusPart<ChainHead>;
}

// --- the provider pinger of this process ----------------------------------------------------------

const globalForStatus = globalThis as unknown as { morpheusProviderPinger?: ProviderPinger };

/** The catalog's providers with an active bid: the ones API users can be sent to. */
async function catalogTargets(): Promise<PingTarget[]> {
  const models = await modelDirectory().list();
  return models.flatMap((m) => m.offers.map((o) => ({ provider: o.provider, endpoint: o.providerEndpoint })));
}

export function providerPinger(): ProviderPinger {
  globalForStatus.morpheusProviderPinger ??= new ProviderPinger({
    targets: catalogTargets,
    allowPrivate: env().CHAIN === "local",
    log: (message) => console.error(`[status] ${message}`),
  });
  return globalForStatus.morpheusProviderPinger;
}

/** Starts the background pings (instrumentation, at server start). */
export function startProviderPinger(): void {
  providerPinger().start();
}

// --- reading the parts ----------------------------------------------------------------------------

async function part<T>(what: string, read: () => Promise<T>): Promise<StatusPart<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    console.error(`[status] reading ${what}: ${describeError(error) || (error instanceof Error ? error.name : "unknown error")}`);
    return { ok: false, message: `The ${what} could not be read right now.` };
  }
}

export async function readChainHead(reader: Pick<Reader, "client">, now: Date = new Date()): Promise<ChainHead> {
  const block = await reader.client.getBlock({ blockTag: "latest" });
  const age = Math.floor(now.getTime() / 1000) - Number(block.timestamp);
  return { blockNumber: block.number, timestamp: block.timestamp, ageSeconds: Math.max(0, age) };
}

/** The pool from the gateway_sessions rows of this chain, and the wallet's stakes held by the contract. */
export async function readSessionPool(
  database: Db,
  reader: Reader,
  chainId: number,
  wallet: Address | undefined,
  names: ReadonlyMap<string, string>,
): Promise<SessionPool> {
  const groups = await database.gatewaySession.groupBy({
    by: ["modelId", "state"],
    where: { chainId },
    _count: { _all: true },
    _sum: { stake: true },
  });
  const rows = new Map<string, PoolModelRow>();
  for (const g of groups) {
    const row = rows.get(g.modelId) ?? { modelId: g.modelId as Hex, name: names.get(g.modelId), sessions: {}, staked: 0n };
    row.sessions[g.state] = g._count._all;
    if (OPEN_STATES.includes(g.state)) row.staked += BigInt((g._sum.stake ?? 0).toFixed(0));
    rows.set(g.modelId, row);
  }
  const models = [...rows.values()].sort((a, b) => (a.name ?? a.modelId).localeCompare(b.name ?? b.modelId));
  const pool: SessionPool = {
    wallet,
    models,
    openSessions: models.reduce((n, m) => n + OPEN_STATES.reduce((k, s) => k + (m.sessions[s] ?? 0), 0), 0),
    staked: models.reduce((sum, m) => sum + m.staked, 0n),
  };
  if (wallet) {
    try {
      const { available, hold } = await getUserStakesOnHold(reader, wallet);
      pool.onHold = hold;
      pool.withdrawable = available;
    } catch (error) {
      console.error(`[status] reading the gateway wallet's stakes: ${describeError(error)}`);
      pool.walletError = "The gateway wallet's stakes on hold could not be read from the chain.";
    }
  }
  return pool;
}

const STATUS_TTL_MS = 3_000;
let recentStatus: { at: number; status: Promise<NetworkStatus> } | undefined;

/**
 * Everything /status shows; never throws (a part that failed says so). Views within a few
 * seconds share one read, so the landing page's summary costs the chain and database nothing
 * more under load.
 */
export function readNetworkStatus(): Promise<NetworkStatus> {
  const now = Date.now();
  if (!recentStatus || now - recentStatus.at >= STATUS_TTL_MS) recentStatus = { at: now, status: loadNetworkStatus() };
  return recentStatus.status;
}

async function loadNetworkStatus(): Promise<NetworkStatus> {
  const config = env();
  let reader: Reader;
  try {
    const chain = chainConfig();
    reader = { client: publicClient(chain), diamond: chain.diamond };
  } catch (error) {
    const message = describeError(error);
    return { readAt: new Date(), providers: { ok: false, message }, pool: { ok: false, message }, head: { ok: false, message } };
  }
  const chainId = reader.client.chain?.id ?? 0;
  const wallet = config.GATEWAY_PRIVATE_KEY ? privateKeyToAccount(config.GATEWAY_PRIVATE_KEY).address : undefined;
  const readAt = new Date();
  const [head, pool] = await Promise.all([
    part("chain head", () => readChainHead(reader, readAt)),
    part("gateway session pool", async () => {
      const names = new Map<string, string>();
      const models = await modelDirectory().list().catch(() => []); // names are a nicety: the pool shows ids without them
      for (const m of models) names.set(m.modelId, m.name);
      return readSessionPool(db(), reader, chainId, wallet, names);
    }),
  ]);
  return { readAt, providers: { ok: true, value: providerPinger().latest() }, pool, head };
}

/** The last ping result of a provider at an endpoint; undefined before its first check. */
export function latestProviderHealth(provider: Address, endpoint: string): ProviderHealth | undefined {
  return providerPinger()
    .latest()
    ?.providers.find((p) => p.provider.toLowerCase() === provider.toLowerCase() && p.endpoint === endpoint);
}
