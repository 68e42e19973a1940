// Deploys the local marketplace (MOR + the Compute Node router and its facets + a funding account
// for provider pay + the local stand-in for the delegate.xyz registry), configures it like the
// live networks, funds the dev accounts, and seeds a provider offer idempotently.
import { createPublicClient, createWalletClient, getAddress, http, parseEther, type Address, type Chain, type Hex, type LocalAccount, type PublicClient } from "viem";
import { foundry } from "viem/chains";
import { devAccounts } from "./anvil";
import { computeNodeAbi, computeNodeArtifacts, contractProviderAbi, delegateRegistryAbi, morTokenAbi } from "./contracts.generated";
import { getBid, getModel, getProvider, getProviderActiveBidIds, getMarketplaceSettings, readMany } from "./reads";
import { baseModelIdFor, modelIdOf, postBid, registerModel, registerProvider, walletFor, type ChainContext, type ChainWallet } from "./writes";

const DAY = 86_400n;

/**
 * Settings of the local deployment: the live testnets' minimums and fee, a price range that
 * contains both networks' ranges, and emission pools shaped like the Ethereum Distribution
 * contract's (index 3 = compute), so stipends and budgets come out at mainnet-like proportions.
 */
export const localMarketplaceConfig = {
  providerMinimumStake: parseEther("0.2"),
  modelMinimumStake: parseEther("0.1"),
  bidFee: parseEther("0.3"),
  minPricePerSecond: 10n ** 12n,
  maxPricePerSecond: 10n ** 19n,
  maxSessionDuration: 7n * DAY,
  pools: [
    { initialReward: parseEther("3456"), rewardDecrease: 592_558_728_240_000_000n, payoutStart: 1_707_393_600n, decreaseInterval: DAY },
    { initialReward: parseEther("3456"), rewardDecrease: 592_558_728_240_000_000n, payoutStart: 1_707_393_600n, decreaseInterval: DAY },
    { initialReward: parseEther("3456"), rewardDecrease: 592_558_728_240_000_000n, payoutStart: 1_707_393_600n, decreaseInterval: DAY },
    { initialReward: parseEther("3456"), rewardDecrease: 592_558_728_240_000_000n, payoutStart: 1_707_393_600n, decreaseInterval: DAY },
    { initialReward: parseEther("576"), rewardDecrease: 98_759_788_040_000_000n, payoutStart: 1_707_393_600n, decreaseInterval: DAY },
  ],
  /** Minted to each of the dev accounts #0..#9. */
  devAccountBalance: parseEther("1000000"),
  /** Minted to the funding account that pays providers for non-direct sessions. */
  fundingAccountBalance: parseEther("100000000"),
} as const;

export interface DeployedMarketplace {
  chainId: number;
  /** The Compute Node (Diamond) address: every marketplace call goes here. */
  diamond: Address;
  mor: Address;
  /** Holds the compute-emission MOR that providers of non-direct sessions are paid from. */
  fundingAccount: Address;
  /** The local stand-in for the delegate.xyz v2 registry, which the Delegation facet reads. */
  delegateRegistry: Address;
  /** Block of the Compute Node deployment (where event scans can start). */
  blockNumber: bigint;
}

/** Clients for a local chain; `chainId` other than anvil's 31337 (e.g. a Hardhat node) is allowed. */
function localClients(rpcUrl: string, account: LocalAccount, chainId: number = foundry.id): { client: PublicClient; wallet: ChainWallet; chain: Chain } {
  const chain: Chain = chainId === foundry.id ? foundry : { ...foundry, id: chainId, name: `Local (${chainId})` };
  const transport = http(rpcUrl);
  const client = createPublicClient({ chain, transport, pollingInterval: 100 }) as PublicClient;
  return { client, wallet: createWalletClient({ account, chain, transport }), chain };
}

async function chainIdAt(rpcUrl: string): Promise<number> {
  return createPublicClient({ transport: http(rpcUrl) }).getChainId();
}

async function deploy(client: PublicClient, wallet: ChainWallet, name: string, deployTx: () => Promise<Hex>): Promise<{ address: Address; blockNumber: bigint }> {
  const receipt = await client.waitForTransactionReceipt({ hash: await deployTx() });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed (transaction ${receipt.transactionHash})`);
  return { address: getAddress(receipt.contractAddress), blockNumber: receipt.blockNumber };
}

/** Deploys and configures a fresh marketplace; `deployer` becomes its owner and the MOR minter. */
export async function deployMarketplace({ rpcUrl, deployer }: { rpcUrl: string; deployer: LocalAccount }): Promise<DeployedMarketplace> {
  const chainId = await chainIdAt(rpcUrl);
  const { client, wallet, chain } = localClients(rpcUrl, deployer, chainId);
  const config = localMarketplaceConfig;
  const tx = { account: deployer, chain } as const;

  const mor = await deploy(client, wallet, "MorToken", () =>
    wallet.deployContract({ ...tx, abi: morTokenAbi, bytecode: computeNodeArtifacts.morToken.bytecode, args: [deployer.address] }),
  );
  const facets: Address[] = [];
  for (const facet of computeNodeArtifacts.facets) {
    facets.push((await deploy(client, wallet, facet.name, () => wallet.deployContract({ ...tx, abi: [], bytecode: facet.bytecode }))).address);
  }
  const router = await deploy(client, wallet, "ComputeNode", () =>
    wallet.deployContract({
      ...tx,
      abi: computeNodeArtifacts.router.abi,
      bytecode: computeNodeArtifacts.router.bytecode,
      args: [deployer.address, facets, computeNodeArtifacts.facets.map((f) => [...f.selectors])],
    }),
  );
  const diamond = router.address;
  const funding = await deploy(client, wallet, "FundingAccount", () =>
    wallet.deployContract({ ...tx, abi: computeNodeArtifacts.fundingAccount.abi, bytecode: computeNodeArtifacts.fundingAccount.bytecode, args: [mor.address, diamond] }),
  );

  const delegateRegistry = await deploy(client, wallet, "LocalDelegateRegistry", () =>
    wallet.deployContract({ ...tx, abi: delegateRegistryAbi, bytecode: computeNodeArtifacts.delegateRegistry.bytecode }),
  );

  const calls: { name: string; send: () => Promise<Hex> }[] = [
    { name: "__Delegation_init", send: () => wallet.writeContract({ ...tx, address: diamond, abi: computeNodeAbi, functionName: "__Delegation_init", args: [delegateRegistry.address] }) },
    { name: "__Marketplace_init", send: () => wallet.writeContract({ ...tx, address: diamond, abi: computeNodeAbi, functionName: "__Marketplace_init", args: [mor.address, config.minPricePerSecond, config.maxPricePerSecond] }) },
    { name: "setMarketplaceBidFee", send: () => wallet.writeContract({ ...tx, address: diamond, abi: computeNodeAbi, functionName: "setMarketplaceBidFee", args: [config.bidFee] }) },
    { name: "providerSetMinStake", send: () => wallet.writeContract({ ...tx, address: diamond, abi: computeNodeAbi, functionName: "providerSetMinStake", args: [config.providerMinimumStake] }) },
    { name: "modelSetMinStake", send: () => wallet.writeContract({ ...tx, address: diamond, abi: computeNodeAbi, functionName: "modelSetMinStake", args: [config.modelMinimumStake] }) },
    {
      name: "__SessionRouter_init",
      send: () =>
        wallet.writeContract({ ...tx, address: diamond, abi: computeNodeAbi, functionName: "__SessionRouter_init", args: [funding.address, config.maxSessionDuration, config.pools.map((p) => ({ ...p }))] }),
    },
    { name: "mint (funding account)", send: () => wallet.writeContract({ ...tx, address: mor.address, abi: morTokenAbi, functionName: "mint", args: [funding.address, config.fundingAccountBalance] }) },
    ...devAccounts.map((account, i) => ({
      name: `mint (dev account #${i})`,
      send: () => wallet.writeContract({ ...tx, address: mor.address, abi: morTokenAbi, functionName: "mint", args: [account.address, config.devAccountBalance] }),
    })),
  ];
  // Sent back to back (anvil mines each at once), then all receipts checked.
  const hashes: { name: string; hash: Hex }[] = [];
  for (const call of calls) hashes.push({ name: call.name, hash: await call.send() });
  for (const { name, hash } of hashes) {
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`deploy step ${name} failed (transaction ${hash})`);
  }

  return { chainId, diamond, mor: mor.address, fundingAccount: funding.address, delegateRegistry: delegateRegistry.address, blockNumber: router.blockNumber };
}

/**
 * Deploys the example contract provider (contracts/delegation/ContractProvider.sol) owned by
 * `owner`: the contract registers and bids through execute(), its owner signs its sessions.
 */
export async function deployContractProvider({ rpcUrl, owner }: { rpcUrl: string; owner: LocalAccount }): Promise<Address> {
  const { client, wallet, chain } = localClients(rpcUrl, owner, await chainIdAt(rpcUrl));
  const deployed = await deploy(client, wallet, "ContractProvider", () =>
    wallet.deployContract({ account: owner, chain, abi: contractProviderAbi, bytecode: computeNodeArtifacts.contractProvider.bytecode, args: [owner.address] }),
  );
  return deployed.address;
}

export interface SeedProviderParams {
  rpcUrl: string;
  diamond: Address;
  mor: Address;
  /** Tops up the provider's MOR when it cannot pay its stakes and the bid fee. */
  funder: LocalAccount;
  provider: LocalAccount;
  endpoint: string;
  model: { name: string; tags: string[] };
  pricePerSecond: bigint;
  /** The provider's stake, which also caps its earnings per year. Default 10,000 MOR. */
  providerStake?: bigint;
}

/**
 * Makes sure `provider` is registered at `endpoint`, owns the model and has an active bid for it at
 * `pricePerSecond`. Idempotent: whatever is already on-chain is reused, only what differs is sent.
 */
export async function seedDemoProvider(params: SeedProviderParams): Promise<{ modelId: Hex; bidId: Hex }> {
  const { client } = localClients(params.rpcUrl, params.provider, await chainIdAt(params.rpcUrl));
  const ctx: ChainContext = { client, diamond: params.diamond, mor: params.mor };
  const wallet = walletFor(ctx, params.provider);
  const address = params.provider.address;
  const settings = await getMarketplaceSettings(ctx);
  const wantedStake = params.providerStake ?? parseEther("10000");

  const registered = await getProvider(ctx, address);
  const active = registered.createdAt !== 0n && !registered.isDeleted;
  const stakeToAdd = registered.stake < wantedStake ? wantedStake - registered.stake : 0n;
  const modelId = modelIdOf(address, baseModelIdFor(params.model.name));
  const model = await getModel(ctx, modelId);
  const modelCurrent = model.createdAt !== 0n && !model.isDeleted && sameTags(model.tags, params.model.tags);
  const modelStakeToAdd = model.stake < settings.modelMinimumStake ? settings.modelMinimumStake - model.stake : 0n;

  await ensureBalance(ctx, params.funder, address, stakeToAdd + (modelCurrent ? 0n : modelStakeToAdd) + settings.bidFee);

  if (!active || stakeToAdd > 0n || registered.endpoint !== params.endpoint) {
    await registerProvider(ctx, wallet, { endpoint: params.endpoint, stake: stakeToAdd });
  }
  if (!modelCurrent) {
    await registerModel(ctx, wallet, { name: params.model.name, tags: params.model.tags, stake: modelStakeToAdd });
  }
  const bids = await readMany(await getProviderActiveBidIds(ctx, address), (id) => getBid(ctx, id));
  const reusable = bids.find((b) => b.modelId === modelId && b.pricePerSecond === params.pricePerSecond);
  if (reusable) return { modelId, bidId: reusable.bidId };
  const { bidId } = await postBid(ctx, wallet, { modelId, pricePerSecond: params.pricePerSecond });
  return { modelId, bidId };
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}

async function ensureBalance(ctx: ChainContext, funder: LocalAccount, account: Address, needed: bigint): Promise<void> {
  const balance = await ctx.client.readContract({ address: ctx.mor, abi: morTokenAbi, functionName: "balanceOf", args: [account] });
  if (balance >= needed) return;
  const wallet = walletFor(ctx, funder);
  const hash = await wallet.writeContract({ address: ctx.mor, abi: morTokenAbi, functionName: "transfer", args: [account, needed - balance], account: funder, chain: wallet.chain });
  await ctx.client.waitForTransactionReceipt({ hash });
}
