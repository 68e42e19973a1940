// Marketplace facet (bids, fees, price bounds) against a real anvil.
import { encodePacked, keccak256, parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "@/lib/chain/anvil";
import { localMarketplaceConfig } from "@/lib/chain/deploy";
import { bidIdOf, deleteBid, postBid, registerModel, registerProvider, writeComputeNode } from "@/lib/chain/writes";
import { expectRevert, morBalance, read, startMarket, type Market } from "./fixture";

let market: Market;
const provider = devAccounts[2];
const otherProvider = devAccounts[5];
let modelId: `0x${string}`;
let secondModelId: `0x${string}`;
const price = 10n ** 14n;
const { bidFee, minPricePerSecond, maxPricePerSecond } = localMarketplaceConfig;

beforeAll(async () => {
  market = await startMarket();
  await registerProvider(market.ctx, market.wallets[2], { endpoint: "127.0.0.1:3333", stake: parseEther("1") });
  await registerProvider(market.ctx, market.wallets[5], { endpoint: "127.0.0.1:3334", stake: parseEther("1") });
  ({ modelId } = await registerModel(market.ctx, market.wallets[3], { name: "model-a", tags: ["a"], stake: parseEther("0.1") }));
  ({ modelId: secondModelId } = await registerModel(market.ctx, market.wallets[3], { name: "model-b", tags: ["b"], stake: parseEther("0.1") }));
});
afterAll(async () => {
  await market?.stop();
});

describe("Marketplace settings", () => {
  it("getToken: the MOR token set by __Marketplace_init", async () => {
    expect(await read(market, "getToken", [])).toBe(market.ctx.mor);
  });

  it("__Marketplace_init: runs once (MarketplaceAlreadyInitialized) and only for the owner", async () => {
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "__Marketplace_init", [market.ctx.mor, 1n, 2n]), "MarketplaceAlreadyInitialized");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "__Marketplace_init", [market.ctx.mor, 1n, 2n]), "OwnableUnauthorizedAccount");
  });

  it("getBidFee / setMarketplaceBidFee: owner-settable fee", async () => {
    expect(await read(market, "getBidFee", [])).toBe(bidFee);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "setMarketplaceBidFee", [1n]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "setMarketplaceBidFee", [parseEther("1")]);
    expect(await read(market, "getBidFee", [])).toBe(parseEther("1"));
    await writeComputeNode(market.ctx, market.wallets[0], "setMarketplaceBidFee", [bidFee]);
  });

  it("getMinMaxBidPricePerSecond / setMinMaxBidPricePerSecond: bounds, zero and inverted bounds revert", async () => {
    expect(await read(market, "getMinMaxBidPricePerSecond", [])).toEqual([minPricePerSecond, maxPricePerSecond]);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "setMinMaxBidPricePerSecond", [0n, 10n]), "MarketplaceBidMinPricePerSecondIsZero");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "setMinMaxBidPricePerSecond", [11n, 10n]), "MarketplaceBidMinPricePerSecondIsInvalid");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "setMinMaxBidPricePerSecond", [1n, 10n]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "setMinMaxBidPricePerSecond", [5n, 50n]);
    expect(await read(market, "getMinMaxBidPricePerSecond", [])).toEqual([5n, 50n]);
    await writeComputeNode(market.ctx, market.wallets[0], "setMinMaxBidPricePerSecond", [minPricePerSecond, maxPricePerSecond]);
  });
});

describe("Marketplace bids", () => {
  let firstBid: `0x${string}`;

  it("getBidId / getProviderModelId: keccak256 of the packed ids", async () => {
    expect(await read(market, "getProviderModelId", [provider.address, modelId])).toBe(keccak256(encodePacked(["address", "bytes32"], [provider.address, modelId])));
    expect(await read(market, "getBidId", [provider.address, modelId, 3n])).toBe(bidIdOf(provider.address, modelId, 3n));
  });

  it("postModelBid: below the min price / above the max price reverts with MarketplaceBidPricePerSecondInvalid", async () => {
    await expectRevert(postBid(market.ctx, market.wallets[2], { modelId, pricePerSecond: minPricePerSecond - 1n }), "MarketplaceBidPricePerSecondInvalid");
    await expectRevert(postBid(market.ctx, market.wallets[2], { modelId, pricePerSecond: maxPricePerSecond + 1n }), "MarketplaceBidPricePerSecondInvalid");
  });

  it("postModelBid: unregistered provider (MarketplaceProviderNotFound), unknown model (MarketplaceModelNotFound), someone else's bid", async () => {
    await expectRevert(postBid(market.ctx, market.wallets[6], { modelId, pricePerSecond: price }), "MarketplaceProviderNotFound");
    await expectRevert(postBid(market.ctx, market.wallets[2], { modelId: keccak256("0x01"), pricePerSecond: price }), "MarketplaceModelNotFound");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "postModelBid", [provider.address, modelId, price]), "InsufficientRightsForOperation");
  });

  it("postModelBid / getBid / isBidActive / getFeeBalance: charges the bid fee into the fee balance and lists the bid", async () => {
    const balance = await morBalance(market, provider.address);
    const fees = await read(market, "getFeeBalance", []);
    ({ bidId: firstBid } = await postBid(market.ctx, market.wallets[2], { modelId, pricePerSecond: price }));
    expect(firstBid).toBe(bidIdOf(provider.address, modelId, 0n));
    expect(await morBalance(market, provider.address)).toBe(balance - bidFee);
    expect(await read(market, "getFeeBalance", [])).toBe(fees + bidFee);

    expect(await read(market, "getBid", [firstBid])).toMatchObject({ provider: provider.address, modelId, pricePerSecond: price, nonce: 0n, deletedAt: 0n });
    expect(await read(market, "isBidActive", [firstBid])).toBe(true);
    expect(await read(market, "getProviderActiveBids", [provider.address, 0n, 10n])).toEqual([[firstBid], 1n]);
    expect(await read(market, "getModelActiveBids", [modelId, 0n, 10n])).toEqual([[firstBid], 1n]);
  });

  it("postModelBid: a new bid for the same provider and model replaces the active one (and charges the fee again)", async () => {
    const fees = await read(market, "getFeeBalance", []);
    const { bidId: secondBid } = await postBid(market.ctx, market.wallets[2], { modelId, pricePerSecond: price * 2n });
    expect(secondBid).toBe(bidIdOf(provider.address, modelId, 1n));
    expect(await read(market, "getFeeBalance", [])).toBe(fees + bidFee);
    expect(await read(market, "isBidActive", [firstBid])).toBe(false);
    expect((await read(market, "getBid", [firstBid])).deletedAt).not.toBe(0n);
    expect(await read(market, "getModelActiveBids", [modelId, 0n, 10n])).toEqual([[secondBid], 1n]);
    expect(await read(market, "getProviderBids", [provider.address, 0n, 10n])).toEqual([[firstBid, secondBid], 2n]);
    expect(await read(market, "getModelBids", [modelId, 0n, 10n])).toEqual([[firstBid, secondBid], 2n]);
  });

  it("getModelActiveBids / getProviderActiveBids / getProviderBids / getModelBids: offset and limit", async () => {
    const { bidId: other } = await postBid(market.ctx, market.wallets[5], { modelId, pricePerSecond: price });
    const { bidId: secondModelBid } = await postBid(market.ctx, market.wallets[2], { modelId: secondModelId, pricePerSecond: price });
    const [all, total] = await read(market, "getModelActiveBids", [modelId, 0n, 10n]);
    expect(total).toBe(2n);
    expect(all).toContain(other);
    expect(await read(market, "getModelActiveBids", [modelId, 1n, 1n])).toEqual([[all[1]], 2n]);
    expect(await read(market, "getModelActiveBids", [modelId, 5n, 1n])).toEqual([[], 2n]);
    expect((await read(market, "getProviderActiveBids", [provider.address, 0n, 10n]))[1]).toBe(2n);
    expect(await read(market, "getProviderActiveBids", [provider.address, 1n, 10n])).toEqual([[secondModelBid], 2n]);
    expect(await read(market, "getProviderBids", [provider.address, 2n, 1n])).toEqual([[secondModelBid], 3n]);
    expect(await read(market, "getModelBids", [modelId, 0n, 2n])).toEqual([[bidIdOf(provider.address, modelId, 0n), bidIdOf(provider.address, modelId, 1n)], 3n]);
    expect(await read(market, "getProviderActiveBids", [otherProvider.address, 0n, 10n])).toEqual([[other], 1n]);
  });

  it("deleteModelBid: only by the bid's provider, then MarketplaceActiveBidNotFound once deleted", async () => {
    const bidId = bidIdOf(provider.address, modelId, 1n);
    await expectRevert(deleteBid(market.ctx, market.wallets[5], bidId), "InsufficientRightsForOperation");
    await deleteBid(market.ctx, market.wallets[2], bidId);
    expect(await read(market, "isBidActive", [bidId])).toBe(false);
    expect((await read(market, "getModelActiveBids", [modelId, 0n, 10n]))[0]).not.toContain(bidId);
    await expectRevert(deleteBid(market.ctx, market.wallets[2], bidId), "MarketplaceActiveBidNotFound");
    await expectRevert(deleteBid(market.ctx, market.wallets[2], keccak256("0x02")), "MarketplaceActiveBidNotFound");
  });
});

describe("Marketplace fees", () => {
  it("withdrawFee: owner only, at most the fee balance, MarketplaceFeeAmountIsZero when empty", async () => {
    const recipient = devAccounts[7].address;
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "withdrawFee", [recipient, 1n]), "OwnableUnauthorizedAccount");
    const fees = await read(market, "getFeeBalance", []);
    expect(fees).toBe(4n * bidFee);
    const before = await morBalance(market, recipient);
    await writeComputeNode(market.ctx, market.wallets[0], "withdrawFee", [recipient, bidFee]);
    expect(await morBalance(market, recipient)).toBe(before + bidFee);
    await writeComputeNode(market.ctx, market.wallets[0], "withdrawFee", [recipient, fees * 10n]);
    expect(await morBalance(market, recipient)).toBe(before + fees);
    expect(await read(market, "getFeeBalance", [])).toBe(0n);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[0], "withdrawFee", [recipient, 1n]), "MarketplaceFeeAmountIsZero");
  });
});
