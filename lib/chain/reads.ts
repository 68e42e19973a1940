// Typed reads of the Compute Node contracts. List getters return `(page, total)` like the live
// Diamond; they are paged through offset/limit until the total (or a short page), so callers
// always get the whole list.
import { BaseError, ExecutionRevertedError, keccak256, stringToHex, toFunctionSelector, type Address, type Hex, type PublicClient } from "viem";
import { computeNodeAbi } from "./contracts.generated";

const PAGE_SIZE = 100n;

/** Every item from index `from` on (all of them by default), page by page. */
export async function readAllPages<T>(
  fetchPage: (offset: bigint, limit: bigint) => Promise<readonly [readonly T[], bigint]>,
  pageSize = PAGE_SIZE,
  from = 0n,
): Promise<T[]> {
  const all: T[] = [];
  for (let offset = from; ; offset += pageSize) {
    const [page, total] = await fetchPage(offset, pageSize);
    all.push(...page);
    if (BigInt(page.length) < pageSize || from + BigInt(all.length) >= total) return all;
  }
}

export interface Reader {
  client: PublicClient;
  diamond: Address;
}

export interface Provider {
  address: Address;
  endpoint: string;
  stake: bigint;
  createdAt: bigint;
  limitPeriodEnd: bigint;
  limitPeriodEarned: bigint;
  isDeleted: boolean;
}

export interface Model {
  modelId: Hex;
  ipfsCID: Hex;
  fee: bigint;
  stake: bigint;
  owner: Address;
  name: string;
  tags: readonly string[];
  createdAt: bigint;
  isDeleted: boolean;
}

export interface Bid {
  bidId: Hex;
  provider: Address;
  modelId: Hex;
  pricePerSecond: bigint;
  nonce: bigint;
  createdAt: bigint;
  deletedAt: bigint;
}

export interface Session {
  sessionId: Hex;
  user: Address;
  bidId: Hex;
  stake: bigint;
  closeoutReceipt: Hex;
  closeoutType: bigint;
  providerWithdrawnAmount: bigint;
  openedAt: bigint;
  endsAt: bigint;
  closedAt: bigint;
  isActive: boolean;
  isDirectPaymentFromUser: boolean;
}

export async function getProvider({ client, diamond }: Reader, address: Address): Promise<Provider> {
  const p = await client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getProvider", args: [address] });
  return { address, ...p };
}

export async function getActiveProviders(reader: Reader): Promise<Address[]> {
  return readAllPages((offset, limit) =>
    reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getActiveProviders", args: [offset, limit] }),
  );
}

export async function getModel({ client, diamond }: Reader, modelId: Hex): Promise<Model> {
  const m = await client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getModel", args: [modelId] });
  return { modelId, ...m };
}

export async function getActiveModelIds(reader: Reader): Promise<Hex[]> {
  return readAllPages((offset, limit) =>
    reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getActiveModelIds", args: [offset, limit] }),
  );
}

export async function getBid({ client, diamond }: Reader, bidId: Hex): Promise<Bid> {
  const b = await client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getBid", args: [bidId] });
  return { bidId, ...b };
}

export async function getModelActiveBidIds(reader: Reader, modelId: Hex): Promise<Hex[]> {
  return readAllPages((offset, limit) =>
    reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getModelActiveBids", args: [modelId, offset, limit] }),
  );
}

export async function getProviderActiveBidIds(reader: Reader, provider: Address): Promise<Hex[]> {
  return readAllPages((offset, limit) =>
    reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getProviderActiveBids", args: [provider, offset, limit] }),
  );
}

export async function getSession({ client, diamond }: Reader, sessionId: Hex): Promise<Session> {
  const s = await client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getSession", args: [sessionId] });
  return { sessionId, ...s };
}

/** The user's session ids in the order they were opened (from index `from` on). */
export async function getUserSessionIds(reader: Reader, user: Address, from = 0n): Promise<Hex[]> {
  return readAllPages((offset, limit) => getUserSessionIdsPage(reader, user, offset, limit), PAGE_SIZE, from);
}

/** One page of the user's session ids (in the order they were opened) and how many there are in all. */
export async function getUserSessionIdsPage(reader: Reader, user: Address, offset: bigint, limit: bigint): Promise<readonly [readonly Hex[], bigint]> {
  return reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getUserSessions", args: [user, offset, limit] });
}

export async function getProviderModelStats({ client, diamond }: Reader, modelId: Hex, provider: Address) {
  return client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getProviderModelStats", args: [modelId, provider] });
}

export async function getModelStats({ client, diamond }: Reader, modelId: Hex) {
  return client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getModelStats", args: [modelId] });
}

export async function getProviderSessionIds(reader: Reader, provider: Address): Promise<Hex[]> {
  return readAllPages((offset, limit) =>
    reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getProviderSessions", args: [provider, offset, limit] }),
  );
}

export async function getModelSessionIds(reader: Reader, modelId: Hex): Promise<Hex[]> {
  return readAllPages((offset, limit) =>
    reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getModelSessions", args: [modelId, offset, limit] }),
  );
}

/** MOR a user can withdraw now (`available`) and MOR still on hold from early-closed sessions. */
export async function getUserStakesOnHold({ client, diamond }: Reader, user: Address): Promise<{ available: bigint; hold: bigint }> {
  const [available, hold] = await client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getUserStakesOnHold", args: [user, 255] });
  return { available, hold };
}

// --- marketplace settings (owner-set: always read them, never assume) ---------------------------

export interface MarketplaceSettings {
  providerMinimumStake: bigint;
  modelMinimumStake: bigint;
  bidFee: bigint;
  minPricePerSecond: bigint;
  maxPricePerSecond: bigint;
  maxSessionDuration: bigint;
}

export async function getMarketplaceSettings({ client, diamond }: Reader): Promise<MarketplaceSettings> {
  const read = <F extends "getProviderMinimumStake" | "getModelMinimumStake" | "getBidFee" | "getMaxSessionDuration">(functionName: F) =>
    client.readContract({ address: diamond, abi: computeNodeAbi, functionName });
  const [providerMinimumStake, modelMinimumStake, bidFee, [minPricePerSecond, maxPricePerSecond], maxSessionDuration] = await Promise.all([
    read("getProviderMinimumStake"),
    read("getModelMinimumStake"),
    read("getBidFee"),
    client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getMinMaxBidPricePerSecond" }),
    read("getMaxSessionDuration"),
  ]);
  return { providerMinimumStake, modelMinimumStake, bidFee, minPricePerSecond, maxPricePerSecond, maxSessionDuration };
}

// --- session economics ------------------------------------------------------------------------

export interface SessionEconomics {
  /** The chain time (seconds) the figures are for. */
  timestamp: bigint;
  totalMORSupply: bigint;
  computeBalance: bigint;
  /** 1% of the compute balance: what the day's sessions are paid from. */
  todaysBudget: bigint;
}

/** The stipend figures at `timestamp` (default: the latest block's time). */
export async function getSessionEconomics({ client, diamond }: Reader, timestamp?: bigint): Promise<SessionEconomics> {
  const at = timestamp ?? (await client.getBlock({ blockTag: "latest" })).timestamp;
  const read = (functionName: "totalMORSupply" | "getComputeBalance" | "getTodaysBudget") =>
    client.readContract({ address: diamond, abi: computeNodeAbi, functionName, args: [at] });
  const [totalMORSupply, computeBalance, todaysBudget] = await Promise.all([read("totalMORSupply"), read("getComputeBalance"), read("getTodaysBudget")]);
  return { timestamp: at, totalMORSupply, computeBalance, todaysBudget };
}

/**
 * The stake that buys a session of `seconds` at `pricePerSecond`: `totalMORSupply * cost /
 * todaysBudget`, rounded up so the stipend covers the whole duration. The same for both payment
 * modes: the live SessionRouter derives every session's end from stakeToStipend(amount), direct
 * payment included (where the provider is then paid from this stake, the rest comes back). The Go
 * consumer's `amount = cost` for direct payment buys a small fraction of the asked duration.
 */
export function stakeForDuration(economics: SessionEconomics, pricePerSecond: bigint, seconds: bigint): bigint {
  const cost = pricePerSecond * seconds;
  if (economics.todaysBudget === 0n) throw new Error("the compute budget is zero: no session can be opened today");
  return (economics.totalMORSupply * cost + economics.todaysBudget - 1n) / economics.todaysBudget;
}

/** When a session with this stake, opened at `openedAt`, would end. */
export async function getSessionEnd({ client, diamond }: Reader, amount: bigint, pricePerSecond: bigint, openedAt: bigint): Promise<bigint> {
  return client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "getSessionEnd", args: [amount, pricePerSecond, openedAt] });
}

// --- delegation: who may sign for a provider ----------------------------------------------------

/** The rights a delegatee needs to sign a provider's approvals and receipts (the Diamond's DELEGATION_RULES_PROVIDER). */
export const DELEGATION_RULES_PROVIDER: Hex = keccak256(stringToHex("delegation.rules.provider"));

/** The Diamond's isRightsDelegated: did `delegator` give `delegatee` `rights` on the registry it reads. */
export async function isRightsDelegated({ client, diamond }: Reader, delegatee: Address, delegator: Address, rights: Hex): Promise<boolean> {
  return client.readContract({ address: diamond, abi: computeNodeAbi, functionName: "isRightsDelegated", args: [delegatee, delegator, rights] });
}

const OWNER_SELECTOR = toFunctionSelector("owner()");

/**
 * owner() of a contract as the SessionRouter reads it: exactly one word that is an address. A
 * non-contract, a reverting call or any other reply is null (no owner); a failing RPC throws.
 */
export async function getContractOwner({ client }: Reader, account: Address): Promise<Address | null> {
  let data: Hex | undefined;
  try {
    ({ data } = await client.call({ to: account, data: OWNER_SELECTOR }));
  } catch (error) {
    if (error instanceof BaseError && error.walk((e) => e instanceof ExecutionRevertedError)) return null;
    throw error;
  }
  // 0x + 64 hex digits, the first 24 of them zero.
  if (data === undefined || !/^0x0{24}[0-9a-fA-F]{40}$/.test(data)) return null;
  return `0x${data.slice(26)}` as Address;
}

/**
 * Whether the SessionRouter accepts `signer`'s approval or receipt for `provider`: the provider
 * itself, a delegatee holding the provider's PROVIDER rights, or owner() of a contract provider.
 */
export async function canSignForProvider(reader: Reader, provider: Address, signer: Address): Promise<boolean> {
  const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();
  if (same(signer, provider)) return true;
  if (await isRightsDelegated(reader, signer, provider, DELEGATION_RULES_PROVIDER)) return true;
  const owner = await getContractOwner(reader, provider);
  return owner !== null && same(owner, signer);
}

/** Read many items concurrently (viem batches them into few RPC calls). */
export function readMany<K, T>(keys: readonly K[], read: (key: K) => Promise<T>): Promise<T[]> {
  return Promise.all(keys.map(read));
}
