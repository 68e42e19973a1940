// Shared set-up of the contract tests: one anvil per test file, the marketplace deployed on it,
// wallets for the dev accounts, and small helpers for time, balances, approvals and receipts.
import {
  createPublicClient,
  http,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  type Hex,
  type PublicClient,
} from "viem";
import { foundry } from "viem/chains";
import { expect } from "vitest";
import { ANVIL_CHAIN_ID, devAccounts, devPrivateKey, mineAt, startAnvil, type Anvil } from "@/lib/chain/anvil";
import { computeNodeAbi, morTokenAbi } from "@/lib/chain/contracts.generated";
import { deployMarketplace, type DeployedMarketplace } from "@/lib/chain/deploy";
import { ChainWriteError, walletFor, type ChainContext, type ChainWallet } from "@/lib/chain/writes";
import { signApproval, signReport } from "@/lib/morrpc";

export const DAY = 86_400n;
export const MOR = 10n ** 18n;

export interface Market {
  anvil: Anvil;
  client: PublicClient;
  ctx: ChainContext;
  deployed: DeployedMarketplace;
  /** Wallets of dev accounts #0..#9 (#0 deployed the contracts and owns them). */
  wallets: ChainWallet[];
  stop(): Promise<void>;
}

export async function startMarket(): Promise<Market> {
  const anvil = await startAnvil({ silent: true });
  try {
    const deployed = await deployMarketplace({ rpcUrl: anvil.rpcUrl, deployer: devAccounts[0] });
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl), pollingInterval: 100 }) as PublicClient;
    const ctx: ChainContext = { client, diamond: deployed.diamond, mor: deployed.mor };
    const wallets = devAccounts.map((account) => walletFor(ctx, account));
    return { anvil, client, ctx, deployed, wallets, stop: () => anvil.stop() };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

type ReadOnly = "view" | "pure";

/** A typed read of any Compute Node view at the Diamond address. */
export function read<const F extends ContractFunctionName<typeof computeNodeAbi, ReadOnly>>(
  market: Market,
  functionName: F,
  args: ContractFunctionArgs<typeof computeNodeAbi, ReadOnly, F>,
): Promise<ContractFunctionReturnType<typeof computeNodeAbi, ReadOnly, F>> {
  return market.client.readContract({ address: market.ctx.diamond, abi: computeNodeAbi, functionName, args } as never) as never;
}

/** The latest block's timestamp. */
export async function chainNow(market: Market): Promise<bigint> {
  return (await market.client.getBlock({ blockTag: "latest" })).timestamp;
}

/** Jumps to `secondsIntoDay` of the next day (UTC), so day-boundary arithmetic is predictable. */
export async function goToNextDay(market: Market, secondsIntoDay: bigint): Promise<bigint> {
  const now = await chainNow(market);
  const target = now - (now % DAY) + DAY + secondsIntoDay;
  await mineAt(market.anvil.rpcUrl, target);
  return target;
}

export async function morBalance(market: Market, account: Address): Promise<bigint> {
  return market.client.readContract({ address: market.ctx.mor, abi: morTokenAbi, functionName: "balanceOf", args: [account] });
}

// Two approvals of one bid and user in the same second would be the same bytes (a duplicate to the
// contract); the Go node writes milliseconds, tests write seconds, so spread them a little instead.
let approvalCount = 0n;

/** The provider's approval for `bidId`, signed with a dev account's key (default timestamp: chain now, made unique). */
export async function approvalFor(
  market: Market,
  { bidId, signer, user, timestamp, chainId = BigInt(ANVIL_CHAIN_ID) }: { bidId: Hex; signer: number; user: number; timestamp?: bigint; chainId?: bigint },
) {
  const signed = signApproval(
    { bidId, chainId, user: devAccounts[user].address, timestamp: timestamp ?? (await chainNow(market)) + (approvalCount++ % 300n) },
    devPrivateKey(devAccounts[signer]),
  );
  return { approval: signed.approval, approvalSig: signed.approvalSig };
}

/** A 7-field session report (what the Go provider signs), signed with a dev account's key. */
export async function receiptFor(
  market: Market,
  {
    sessionId,
    signer,
    tpsScaled1000 = 25_000,
    ttftMs = 400,
    timestamp,
    chainId = BigInt(ANVIL_CHAIN_ID),
  }: { sessionId: Hex; signer: number; tpsScaled1000?: number; ttftMs?: number; timestamp?: bigint; chainId?: bigint },
) {
  return signReport(
    { sessionId, chainId, timestamp: timestamp ?? (await chainNow(market)), tpsScaled1000, ttftMs, inputTokens: 100, outputTokens: 200 },
    devPrivateKey(devAccounts[signer]),
  );
}

/** Expects a ChainWriteError carrying the contract's custom error name. */
export async function expectRevert(promise: Promise<unknown>, errorName: string): Promise<ChainWriteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a revert with ${errorName}`).toBeInstanceOf(ChainWriteError);
  expect((error as ChainWriteError).errorName).toBe(errorName);
  expect((error as ChainWriteError).message).toContain(errorName);
  return error as ChainWriteError;
}
