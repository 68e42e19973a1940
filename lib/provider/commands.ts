// Headless chain commands for providers without a browser (`npm run provider -- register|model|
// bid|unbid|status|deregister`): amounts in MOR and prices in MOR per hour, checked against the
// contract's minimums before a transaction is sent, so mistakes cost no gas.
import { erc20Abi, type Address, type Hex } from "viem";
import { formatMor, formatMorPerHour } from "@/lib/chain/format";
import { getBid, getMarketplaceSettings, getModel, getProvider, getProviderActiveBidIds, readMany } from "@/lib/chain/reads";
import {
  deleteBid,
  deregisterProvider,
  postBid,
  registerModel,
  registerProvider,
  type ChainContext,
  type ChainWallet,
} from "@/lib/chain/writes";
import { ENDPOINT_FORMAT, parseEndpoint } from "@/lib/morrpc";

export class ProviderCommandError extends Error {}

export async function registerProviderCommand(ctx: ChainContext, wallet: ChainWallet, { endpoint, stake }: { endpoint: string; stake: bigint }) {
  // Consumers dial only what parseEndpoint accepts (lib/morrpc transport): anything else would strand the stake.
  if (!parseEndpoint(endpoint)) throw new ProviderCommandError(`endpoint must be ${ENDPOINT_FORMAT}, got ${JSON.stringify(endpoint.slice(0, 300))}`);
  const [current, settings] = await Promise.all([getProvider(ctx, wallet.account.address), getMarketplaceSettings(ctx)]);
  const total = (current.isDeleted ? 0n : current.stake) + stake;
  if (total < settings.providerMinimumStake) {
    throw new ProviderCommandError(`a provider needs at least ${formatMor(settings.providerMinimumStake)} staked; this would make ${formatMor(total)}`);
  }
  await assertBalance(ctx, wallet.account.address, stake);
  const written = await registerProvider(ctx, wallet, { endpoint, stake });
  return { hash: written.hash, stake: total };
}

export async function registerModelCommand(
  ctx: ChainContext,
  wallet: ChainWallet,
  { name, tags, stake }: { name: string; tags: string[]; stake?: bigint },
) {
  if (!name.trim()) throw new ProviderCommandError("a model needs a name (--name)");
  const settings = await getMarketplaceSettings(ctx);
  const amount = stake ?? settings.modelMinimumStake;
  if (amount < settings.modelMinimumStake) {
    throw new ProviderCommandError(`a model needs at least ${formatMor(settings.modelMinimumStake)} staked, got ${formatMor(amount)}`);
  }
  await assertBalance(ctx, wallet.account.address, amount);
  const written = await registerModel(ctx, wallet, { name: name.trim(), tags, stake: amount });
  return { hash: written.hash, modelId: written.modelId };
}

export async function postBidCommand(ctx: ChainContext, wallet: ChainWallet, { modelId, pricePerSecond }: { modelId: Hex; pricePerSecond: bigint }) {
  const [settings, provider, model] = await Promise.all([getMarketplaceSettings(ctx), getProvider(ctx, wallet.account.address), getModel(ctx, modelId)]);
  if (provider.isDeleted || provider.stake === 0n) throw new ProviderCommandError("register as a provider first (`npm run provider -- register …`)");
  if (model.isDeleted || /^0x0+$/.test(model.owner)) throw new ProviderCommandError(`no active model ${modelId} on this chain`);
  if (pricePerSecond < settings.minPricePerSecond || pricePerSecond > settings.maxPricePerSecond) {
    throw new ProviderCommandError(
      `price must be between ${formatMorPerHour(settings.minPricePerSecond)} and ${formatMorPerHour(settings.maxPricePerSecond)}, got ${formatMorPerHour(pricePerSecond)}`,
    );
  }
  await assertBalance(ctx, wallet.account.address, settings.bidFee);
  const written = await postBid(ctx, wallet, { modelId, pricePerSecond });
  return { hash: written.hash, bidId: written.bidId, fee: settings.bidFee, modelName: model.name };
}

export async function deleteBidCommand(ctx: ChainContext, wallet: ChainWallet, bidId: Hex) {
  const bid = await getBid(ctx, bidId);
  if (bid.provider.toLowerCase() !== wallet.account.address.toLowerCase()) throw new ProviderCommandError(`bid ${bidId} is not yours`);
  if (bid.deletedAt !== 0n) throw new ProviderCommandError(`bid ${bidId} is already deleted`);
  return { hash: (await deleteBid(ctx, wallet, bidId)).hash };
}

/** Deletes the provider's active bids, then deregisters it (the contract refuses while bids are active). */
export async function deregisterCommand(ctx: ChainContext, wallet: ChainWallet) {
  const provider = await getProvider(ctx, wallet.account.address);
  if (provider.isDeleted || provider.stake === 0n) throw new ProviderCommandError("this account is not a registered provider");
  const bidIds = await getProviderActiveBidIds(ctx, wallet.account.address);
  for (const bidId of bidIds) await deleteBid(ctx, wallet, bidId);
  const written = await deregisterProvider(ctx, wallet);
  return { hash: written.hash, deletedBids: bidIds.length };
}

export async function providerStatus(ctx: ChainContext, address: Address) {
  const [provider, balance, bidIds] = await Promise.all([
    getProvider(ctx, address),
    ctx.client.readContract({ address: ctx.mor, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
    getProviderActiveBidIds(ctx, address),
  ]);
  const bids = await readMany(bidIds, async (bidId) => {
    const bid = await getBid(ctx, bidId);
    return { bidId, modelId: bid.modelId, modelName: (await getModel(ctx, bid.modelId)).name, pricePerSecond: bid.pricePerSecond };
  });
  return { address, registered: !provider.isDeleted && provider.stake > 0n, provider, balance, bids };
}

async function assertBalance(ctx: ChainContext, owner: Address, needed: bigint) {
  const balance = await ctx.client.readContract({ address: ctx.mor, abi: erc20Abi, functionName: "balanceOf", args: [owner] });
  if (balance < needed) throw new ProviderCommandError(`needs ${formatMor(needed)} but ${owner} holds ${formatMor(balance)}`);
}
