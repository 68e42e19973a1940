// ComputeNode router, ProviderRegistry and ModelRegistry against a real anvil.
import { BaseError, ContractFunctionRevertedError, parseAbi, parseEther, toFunctionSelector, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts } from "@/lib/chain/anvil";
import { localMarketplaceConfig } from "@/lib/chain/deploy";
import {
  baseModelIdFor,
  deleteBid,
  deregisterModel,
  deregisterProvider,
  modelIdOf,
  postBid,
  registerModel,
  registerProvider,
  writeComputeNode,
} from "@/lib/chain/writes";
import { expectRevert, morBalance, read, startMarket, type Market } from "./fixture";

let market: Market;
beforeAll(async () => {
  market = await startMarket();
});
afterAll(async () => {
  await market?.stop();
});

const owner = devAccounts[0];
const provider = devAccounts[2];
const modelOwner = devAccounts[3];
const stranger = devAccounts[4];

describe("ComputeNode router", () => {
  it("owner: the deployer owns the marketplace", async () => {
    expect(await read(market, "owner", [])).toBe(owner.address);
  });

  it("facetAddress: every selector of the Compute Node ABI is routed to a facet", async () => {
    const providerRegister = toFunctionSelector("providerRegister(address,uint256,string)");
    expect(await read(market, "facetAddress", [providerRegister])).not.toBe(zeroAddress);
    expect(await read(market, "facetAddress", ["0xdeadbeef"])).toBe(zeroAddress);
  });

  it("fallback: an unknown selector reverts with FunctionNotFound", async () => {
    const abi = parseAbi(["function notAFunction()", "error FunctionNotFound(bytes4 selector)"]);
    const error = await market.client.readContract({ address: market.ctx.diamond, abi, functionName: "notAFunction" }).then(
      () => undefined,
      (e: BaseError) => e,
    );
    const revert = error?.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | undefined;
    expect(revert?.data).toMatchObject({ errorName: "FunctionNotFound", args: [toFunctionSelector("notAFunction()")] });
  });

  it("transferOwnership: only the owner, and the new owner can then configure", async () => {
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "transferOwnership", [stranger.address]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "transferOwnership", [stranger.address]);
    expect(await read(market, "owner", [])).toBe(stranger.address);
    await writeComputeNode(market.ctx, market.wallets[4], "transferOwnership", [owner.address]);
    expect(await read(market, "owner", [])).toBe(owner.address);
  });
});

describe("ProviderRegistry", () => {
  it("getProviderMinimumStake / providerSetMinStake: owner-settable minimum", async () => {
    expect(await read(market, "getProviderMinimumStake", [])).toBe(localMarketplaceConfig.providerMinimumStake);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "providerSetMinStake", [1n]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "providerSetMinStake", [parseEther("0.5")]);
    expect(await read(market, "getProviderMinimumStake", [])).toBe(parseEther("0.5"));
    await writeComputeNode(market.ctx, market.wallets[0], "providerSetMinStake", [localMarketplaceConfig.providerMinimumStake]);
  });

  it("providerRegister: reverts with ProviderStakeTooLow below the minimum stake", async () => {
    const error = await expectRevert(
      registerProvider(market.ctx, market.wallets[2], { endpoint: "127.0.0.1:3333", stake: parseEther("0.1") }),
      "ProviderStakeTooLow",
    );
    expect(error.errorArgs).toEqual([parseEther("0.1"), localMarketplaceConfig.providerMinimumStake]);
  });

  it("providerRegister: only for the account itself (InsufficientRightsForOperation)", async () => {
    await expectRevert(
      writeComputeNode(market.ctx, market.wallets[4], "providerRegister", [provider.address, parseEther("1"), "x:1"]),
      "InsufficientRightsForOperation",
    );
  });

  it("providerRegister / getProvider: registers with a stake pulled from the provider, then tops up and updates the endpoint", async () => {
    const before = await morBalance(market, provider.address);
    await registerProvider(market.ctx, market.wallets[2], { endpoint: "127.0.0.1:3333", stake: parseEther("1") });
    expect(await morBalance(market, provider.address)).toBe(before - parseEther("1"));
    const registered = await read(market, "getProvider", [provider.address]);
    expect(registered).toMatchObject({ endpoint: "127.0.0.1:3333", stake: parseEther("1"), limitPeriodEarned: 0n, isDeleted: false });
    expect(registered.limitPeriodEnd - registered.createdAt).toBe(365n * 86_400n);

    await registerProvider(market.ctx, market.wallets[2], { endpoint: "provider.example:4444", stake: parseEther("2") });
    expect(await read(market, "getProvider", [provider.address])).toMatchObject({ endpoint: "provider.example:4444", stake: parseEther("3") });
  });

  it("getActiveProviders / getIsProviderActive: list and status with the total", async () => {
    const [providers, total] = await read(market, "getActiveProviders", [0n, 10n]);
    expect(providers).toEqual([provider.address]);
    expect(total).toBe(1n);
    expect(await read(market, "getActiveProviders", [1n, 10n])).toEqual([[], 1n]);
    expect(await read(market, "getIsProviderActive", [provider.address])).toBe(true);
    expect(await read(market, "getIsProviderActive", [stranger.address])).toBe(false);
  });

  it("providerDeregister: ProviderNotFound for an unknown provider", async () => {
    await expectRevert(deregisterProvider(market.ctx, market.wallets[4]), "ProviderNotFound");
  });

  it("providerDeregister: ProviderHasActiveBids while a bid is active, then returns the stake", async () => {
    const { modelId } = await registerModel(market.ctx, market.wallets[2], { name: "provider-own-model", tags: ["t"], stake: parseEther("0.1") });
    const { bidId } = await postBid(market.ctx, market.wallets[2], { modelId, pricePerSecond: 10n ** 14n });
    await expectRevert(deregisterProvider(market.ctx, market.wallets[2]), "ProviderHasActiveBids");
    await deleteBid(market.ctx, market.wallets[2], bidId);

    const before = await morBalance(market, provider.address);
    await deregisterProvider(market.ctx, market.wallets[2]);
    expect(await morBalance(market, provider.address)).toBe(before + parseEther("3"));
    expect(await read(market, "getProvider", [provider.address])).toMatchObject({ stake: 0n, isDeleted: true });
    expect(await read(market, "getIsProviderActive", [provider.address])).toBe(false);
    expect(await read(market, "getActiveProviders", [0n, 10n])).toEqual([[], 0n]);
    await expectRevert(deregisterProvider(market.ctx, market.wallets[2]), "ProviderHasAlreadyDeregistered");
  });

  it("providerRegister: re-registers a deregistered provider", async () => {
    await registerProvider(market.ctx, market.wallets[2], { endpoint: "127.0.0.1:3333", stake: parseEther("0.2") });
    expect(await read(market, "getProvider", [provider.address])).toMatchObject({ stake: parseEther("0.2"), isDeleted: false });
    expect(await read(market, "getIsProviderActive", [provider.address])).toBe(true);
  });
});

describe("ModelRegistry", () => {
  const baseModelId = baseModelIdFor("llama-local");
  const modelId = modelIdOf(modelOwner.address, baseModelId);

  it("getModelId: keccak256(owner, baseModelId)", async () => {
    expect(await read(market, "getModelId", [modelOwner.address, baseModelId])).toBe(modelId);
  });

  it("getModelMinimumStake / modelSetMinStake: owner-settable minimum", async () => {
    expect(await read(market, "getModelMinimumStake", [])).toBe(localMarketplaceConfig.modelMinimumStake);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[4], "modelSetMinStake", [1n]), "OwnableUnauthorizedAccount");
    await writeComputeNode(market.ctx, market.wallets[0], "modelSetMinStake", [parseEther("0.3")]);
    expect(await read(market, "getModelMinimumStake", [])).toBe(parseEther("0.3"));
    await writeComputeNode(market.ctx, market.wallets[0], "modelSetMinStake", [localMarketplaceConfig.modelMinimumStake]);
  });

  it("modelRegister: reverts with ModelStakeTooLow below the minimum stake", async () => {
    await expectRevert(registerModel(market.ctx, market.wallets[3], { name: "llama-local", tags: [], stake: parseEther("0.05") }), "ModelStakeTooLow");
  });

  it("modelRegister / getModel: registers, then updates name, tags and stake", async () => {
    const { modelId: registered } = await registerModel(market.ctx, market.wallets[3], { name: "llama-local", tags: ["llm"], stake: parseEther("0.1") });
    expect(registered).toBe(modelId);
    expect(await read(market, "getModel", [modelId])).toMatchObject({ owner: modelOwner.address, stake: parseEther("0.1"), name: "llama-local", tags: ["llm"], isDeleted: false });

    await registerModel(market.ctx, market.wallets[3], { name: "llama-local", baseModelId, tags: ["llm", "chat"], stake: parseEther("0.4") });
    expect(await read(market, "getModel", [modelId])).toMatchObject({ stake: parseEther("0.5"), tags: ["llm", "chat"] });
  });

  it("getModelIds / getActiveModelIds / getIsModelActive", async () => {
    const [ids, total] = await read(market, "getModelIds", [0n, 10n]);
    expect(ids).toContain(modelId);
    expect(total).toBe(BigInt(ids.length));
    expect((await read(market, "getActiveModelIds", [0n, 100n]))[0]).toContain(modelId);
    expect(await read(market, "getIsModelActive", [modelId])).toBe(true);
    expect(await read(market, "getIsModelActive", [baseModelId])).toBe(false);
  });

  it("modelDeregister: ModelNotFound, then only by the model owner (InsufficientRightsForOperation)", async () => {
    await expectRevert(deregisterModel(market.ctx, market.wallets[3], baseModelId), "ModelNotFound");
    await expectRevert(deregisterModel(market.ctx, market.wallets[4], modelId), "InsufficientRightsForOperation");
  });

  it("modelDeregister: ModelHasActiveBids while a bid serves it, then returns the whole stake", async () => {
    const { bidId } = await postBid(market.ctx, market.wallets[2], { modelId, pricePerSecond: 10n ** 14n });
    await expectRevert(deregisterModel(market.ctx, market.wallets[3], modelId), "ModelHasActiveBids");
    await deleteBid(market.ctx, market.wallets[2], bidId);

    const before = await morBalance(market, modelOwner.address);
    await deregisterModel(market.ctx, market.wallets[3], modelId);
    expect(await morBalance(market, modelOwner.address)).toBe(before + parseEther("0.5"));
    expect(await read(market, "getModel", [modelId])).toMatchObject({ stake: 0n, isDeleted: true });
    expect(await read(market, "getIsModelActive", [modelId])).toBe(false);
    expect((await read(market, "getActiveModelIds", [0n, 100n]))[0]).not.toContain(modelId);
    expect((await read(market, "getModelIds", [0n, 100n]))[0]).toContain(modelId);
    await expectRevert(deregisterModel(market.ctx, market.wallets[3], modelId), "ModelHasAlreadyDeregistered");
  });
});
