// The local chain's faucet: test ETH and MOR for a new wallet, sent from an anvil dev account, so
// someone who just ran `npm start` can try the provider flow from the browser. Local chain only:
// the route refuses on any other network, and this module refuses any chain id but anvil's.
import { getAddress, isAddress, parseEther, type Address, type Hash } from "viem";
import { ANVIL_CHAIN_ID, devAccounts } from "./dev-accounts";
import { chainConfig, publicClient } from "./config";
import { sendEther, transferMor, walletFor, type ChainContext } from "./writes";

/** What one claim gives: enough gas for many transactions, and MOR for stakes, a model and bids. */
export const FAUCET_AMOUNTS = { eth: parseEther("10"), mor: parseEther("100") } as const;

/** Dev account #9: not the deployer (#0), the demo provider (#1) nor the gateway (#2) of `npm start`. */
export const FAUCET_ACCOUNT = devAccounts[9];

export interface FaucetLimits {
  /** One claim per address per this long. */
  perAddressMs: number;
  /** Claims per minute, all addresses together. */
  globalPerMinute: number;
  /** Addresses remembered at most (the oldest claims are forgotten first). */
  maxAddresses: number;
  /** Longest a claim may take, both transfers mined. */
  deadlineMs: number;
}

export const DEFAULT_FAUCET_LIMITS: FaucetLimits = { perAddressMs: 10 * 60_000, globalPerMinute: 30, maxAddresses: 10_000, deadlineMs: 30_000 };

export type FaucetResult =
  | { ok: true; address: Address; eth: bigint; mor: bigint; ethTx: Hash; morTx: Hash }
  | { ok: false; reason: "invalid_address" | "rate_limited"; message: string; retryAfterSeconds?: number };

export class FaucetError extends Error {
  override name = "FaucetError";
}

export class LocalFaucet {
  private readonly claims = new Map<string, number>(); // address → time of its last claim, oldest first
  private recent: number[] = []; // times of the claims of the last minute, all addresses
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: ChainContext,
    private readonly limits: FaucetLimits = DEFAULT_FAUCET_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates, rate-limits, then sends ETH and MOR to `to` (one claim at a time: one sender nonce). */
  async claim(to: string): Promise<FaucetResult> {
    if (typeof to !== "string" || !isAddress(to, { strict: false }) || /^0x0{40}$/.test(to)) {
      return { ok: false, reason: "invalid_address", message: "Send a 0x-prefixed 20-byte hex address." };
    }
    const address = getAddress(to);
    const limited = this.admit(address);
    if (limited) return limited;
    // The queue waits for each send itself; a caller waits at most deadlineMs, queueing included.
    const run = this.tail.then(() => this.send(address));
    this.tail = run.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FaucetError(`the transfers did not complete within ${this.limits.deadlineMs} ms`)), this.limits.deadlineMs);
    });
    try {
      return await Promise.race([run, deadline]);
    } catch (error) {
      this.claims.delete(address.toLowerCase()); // nothing (or not all) arrived: the address may ask again
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counts the claim, or says why it is refused. */
  private admit(address: Address): FaucetResult | undefined {
    const now = this.now();
    const key = address.toLowerCase();
    const last = this.claims.get(key);
    if (last !== undefined && now - last < this.limits.perAddressMs) {
      const retryAfterSeconds = Math.ceil((this.limits.perAddressMs - (now - last)) / 1000);
      return { ok: false, reason: "rate_limited", message: `This address got test funds recently; try again in ${retryAfterSeconds} s.`, retryAfterSeconds };
    }
    this.recent = this.recent.filter((t) => now - t < 60_000);
    if (this.recent.length >= this.limits.globalPerMinute) {
      const retryAfterSeconds = Math.max(1, Math.ceil((60_000 - (now - this.recent[0])) / 1000));
      return { ok: false, reason: "rate_limited", message: `The faucet is busy; try again in ${retryAfterSeconds} s.`, retryAfterSeconds };
    }
    this.recent.push(now);
    this.claims.delete(key); // re-inserted last: the map stays ordered by claim time
    this.claims.set(key, now);
    for (const [oldest, at] of this.claims) {
      if (this.claims.size <= this.limits.maxAddresses && now - at < this.limits.perAddressMs) break;
      this.claims.delete(oldest);
    }
    return undefined;
  }

  private async send(address: Address): Promise<FaucetResult> {
    const chainId = await this.ctx.client.getChainId();
    if (chainId !== ANVIL_CHAIN_ID) throw new FaucetError(`the faucet only runs on the local chain (chain id ${ANVIL_CHAIN_ID}), not on chain ${chainId}`);
    const wallet = walletFor(this.ctx, FAUCET_ACCOUNT);
    const eth = await sendEther(this.ctx, wallet, address, FAUCET_AMOUNTS.eth);
    const mor = await transferMor(this.ctx, wallet, address, FAUCET_AMOUNTS.mor);
    return { ok: true, address, eth: FAUCET_AMOUNTS.eth, mor: FAUCET_AMOUNTS.mor, ethTx: eth.hash, morTx: mor.hash };
  }
}

let processFaucet: LocalFaucet | undefined;

/** This server's faucet on the configured chain (its rate limits live as long as the process). */
export function localFaucet(): LocalFaucet {
  if (!processFaucet) {
    const config = chainConfig();
    processFaucet = new LocalFaucet({ client: publicClient(config), diamond: config.diamond, mor: config.mor });
  }
  return processFaucet;
}
