// Everything the provider page shows about one address, read from the chain in one go: its
// provider record, the marketplace's minimums and fees, its MOR, the models (its own and the
// ones it can bid on), its active bids, and its latest sessions with what they earned and what
// can be claimed now. Pure viem over a PublicClient: it runs in the browser (through the
// same-origin relay) as well as in Node. Lists are bounded: a page shows the newest items only.
import { erc20Abi, type Address, type Hex, type PublicClient } from "viem";
import { computeNodeAbi } from "./contracts.generated";
import { getBid, getMarketplaceSettings, getModel, getProvider, getProviderActiveBidIds, getSession, readMany, type Bid, type MarketplaceSettings, type Model, type Provider, type Session } from "./reads";

/** Models scanned for the model lists (the newest ones when there are more). */
export const MAX_MODELS_SCANNED = 300;
/** Sessions shown and summed (the newest ones). */
export const MAX_SESSIONS_SHOWN = 50;
const DAY = 86_400n;

export interface ProviderSessionView extends Session {
  pricePerSecond: bigint;
  modelId: Hex;
  /** What the session has earned the provider so far (paid or not). */
  earned: bigint;
  /** What claimForProvider would pay for it now, before the per-period cap on the provider's stake. */
  claimable: bigint;
  /** Earned but held until the end of the day it was closed (disputed early closes). */
  onHold: bigint;
}

export interface ProviderOverview {
  address: Address;
  /** Timestamp of the latest block: "now" on the chain. */
  now: bigint;
  settings: MarketplaceSettings;
  morBalance: bigint;
  ethBalance: bigint;
  /** What the Compute Node may pull from this address today (ERC-20 allowance). */
  allowance: bigint;
  /** undefined: never registered. */
  provider?: Provider;
  /** What providerDeregister would send back now, and what stays staked until limitPeriodEnd. */
  deregisterReturns: { now: bigint; held: bigint; heldUntil: bigint };
  /** Models this address owns (deregistered ones too). */
  ownModels: Model[];
  /** Registered models anyone can bid on, newest first. */
  activeModels: Model[];
  models: { scanned: number; total: bigint };
  bids: (Bid & { modelName: string })[];
  sessions: { total: bigint; shown: ProviderSessionView[]; earned: bigint; received: bigint; claimable: bigint; claimCap: bigint };
}

/** Earned, held and claimable for one session, as SessionRouter.claimForProvider computes them. */
export function sessionEarnings(session: Session, pricePerSecond: bigint, now: bigint): { earned: bigint; onHold: bigint; claimable: bigint } {
  const end = session.closedAt === 0n ? session.endsAt : session.closedAt < session.endsAt ? session.closedAt : session.endsAt;
  const earned = now >= end && end > session.openedAt ? (end - session.openedAt) * pricePerSecond : 0n;
  const dayStart = session.closedAt - (session.closedAt % DAY);
  const from = dayStart > session.openedAt ? dayStart : session.openedAt;
  const onHold = session.closedAt !== 0n && now < dayStart + DAY && session.closedAt > from ? (session.closedAt - from) * pricePerSecond : 0n;
  const unpaid = earned - session.providerWithdrawnAmount;
  return { earned, onHold, claimable: unpaid > onHold ? unpaid - onHold : 0n };
}

/** How much of the stake providerDeregister returns now (ProviderRegistry.providerDeregister). */
export function deregisterReturns(provider: Provider | undefined, now: bigint): ProviderOverview["deregisterReturns"] {
  if (!provider || provider.isDeleted) return { now: 0n, held: 0n, heldUntil: 0n };
  if (now > provider.limitPeriodEnd) return { now: provider.stake, held: 0n, heldUntil: 0n };
  const held = provider.limitPeriodEarned < provider.stake ? provider.limitPeriodEarned : provider.stake;
  return { now: provider.stake - held, held, heldUntil: provider.limitPeriodEnd };
}

async function newestPage<T>(read: (offset: bigint, limit: bigint) => Promise<readonly [readonly T[], bigint]>, max: number): Promise<{ items: T[]; total: bigint }> {
  const [, total] = await read(0n, 0n);
  const offset = total > BigInt(max) ? total - BigInt(max) : 0n;
  const [items] = await read(offset, BigInt(max));
  return { items: [...items].reverse(), total };
}

export async function loadProviderOverview(client: PublicClient, { diamond, mor }: { diamond: Address; mor: Address }, address: Address): Promise<ProviderOverview> {
  const reader = { client, diamond };
  const [block, settings, morBalance, ethBalance, allowance, record, modelPage, bidIds, sessionPage] = await Promise.all([
    client.getBlock({ blockTag: "latest" }),
    getMarketplaceSettings(reader),
    client.readContract({ address: mor, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
    client.getBalance({ address }),
    client.readContract({ address: mor, abi: erc20Abi, functionName: "allowance", args: [address, diamond] }),
    getProvider(reader, address),
    newestPage((offset, limit) => client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getModelIds", args: [offset, limit] }), MAX_MODELS_SCANNED),
    getProviderActiveBidIds(reader, address),
    newestPage((offset, limit) => client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getProviderSessions", args: [address, offset, limit] }), MAX_SESSIONS_SHOWN),
  ]);
  const now = block.timestamp;
  const provider = record.createdAt === 0n ? undefined : record;
  const [models, bids, sessions] = await Promise.all([
    readMany(modelPage.items, (id) => getModel(reader, id)),
    readMany(bidIds, (id) => getBid(reader, id)),
    readMany(sessionPage.items, (id) => getSession(reader, id)),
  ]);
  const modelNames = new Map(models.map((m) => [m.modelId, m.name]));
  const sessionBids = new Map<Hex, Bid>(bids.map((b) => [b.bidId, b]));
  const missing = [...new Set(sessions.map((s) => s.bidId).filter((id) => !sessionBids.has(id)))];
  for (const bid of await readMany(missing, (id) => getBid(reader, id))) sessionBids.set(bid.bidId, bid);
  const missingNames = [...new Set([...bids, ...sessionBids.values()].map((b) => b.modelId).filter((id) => !modelNames.has(id)))];
  for (const model of await readMany(missingNames, (id) => getModel(reader, id))) modelNames.set(model.modelId, model.name);

  const shown = sessions.map((s): ProviderSessionView => {
    const bid = sessionBids.get(s.bidId);
    const pricePerSecond = bid?.pricePerSecond ?? 0n;
    return { ...s, pricePerSecond, modelId: bid?.modelId ?? ("0x" as Hex), ...sessionEarnings(s, pricePerSecond, now) };
  });
  const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
  const claimCap = !provider ? 0n : now > provider.limitPeriodEnd ? provider.stake : provider.stake > provider.limitPeriodEarned ? provider.stake - provider.limitPeriodEarned : 0n;
  return {
    address,
    now,
    settings,
    morBalance,
    ethBalance,
    allowance,
    provider,
    deregisterReturns: deregisterReturns(provider, now),
    ownModels: models.filter((m) => m.owner.toLowerCase() === address.toLowerCase()),
    activeModels: models.filter((m) => !m.isDeleted),
    models: { scanned: models.length, total: modelPage.total },
    bids: bids.map((b) => ({ ...b, modelName: modelNames.get(b.modelId) ?? "unknown model" })),
    sessions: {
      total: sessionPage.total,
      shown,
      earned: sum(shown.map((s) => s.earned)),
      received: sum(shown.map((s) => s.providerWithdrawnAmount)),
      claimable: sum(shown.map((s) => s.claimable)),
      claimCap,
    },
  };
}
