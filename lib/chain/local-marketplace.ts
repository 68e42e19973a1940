// The local marketplace `npm start` runs: contracts deployed once per chain state, a demo provider
// seeded on top. Re-running it against the same chain reuses what is there (restart-safe).
import path from "node:path";
import { createPublicClient, http, type Address } from "viem";
import { foundry } from "viem/chains";
import { DEMO_MODEL_NAME } from "@/lib/demo-model";
import { devAccounts, startAnvil, type Anvil } from "./anvil";
import { contractSourcesHash } from "./contracts.generated";
import { localDeploymentPath, readLocalDeployment, writeLocalDeployment, type LocalDeployment } from "./config";
import { deployMarketplace, seedDemoProvider } from "./deploy";

/** The seeded demo offer: anvil account #1 serving a deterministic demo model (not a real LLM). */
export const demoOffer = {
  providerAccountIndex: 1,
  /** Where the demo provider node listens unless told otherwise (PROVIDER_LISTEN_ADDRESS). */
  endpoint: "127.0.0.1:3333",
  model: { name: DEMO_MODEL_NAME, tags: ["demo", "chat", "deterministic"] },
  /** 1e14 wei per second = 0.36 MOR per hour. */
  pricePerSecond: 100_000_000_000_000n,
} as const;

export interface LocalMarketplace {
  deployment: LocalDeployment;
  reused: boolean;
  demo: { provider: Address; modelId: `0x${string}`; bidId: `0x${string}` };
}

/**
 * Make sure the chain at `rpcUrl` has our contracts and the demo offer. A deployment record whose
 * contracts are missing on-chain (chain state lost), or were built from other sources than today's
 * (an update changed contracts/), is discarded and the contracts redeployed, so the record never
 * points at a half-deployed chain or at contracts that lack what the app now calls.
 */
export async function ensureLocalMarketplace({
  rpcUrl,
  deploymentFile,
  providerEndpoint = demoOffer.endpoint,
  onNotice,
}: {
  rpcUrl: string;
  deploymentFile: string;
  /** The demo provider's on-chain endpoint (re-registered when it changes). */
  providerEndpoint?: string;
  /** Told when an outdated deployment is replaced. */
  onNotice?: (message: string) => void;
}): Promise<LocalMarketplace> {
  const client = createPublicClient({ chain: foundry, transport: http(rpcUrl) });
  const chainId = await client.getChainId();
  const recorded = readLocalDeployment(deploymentFile);
  let deployment: LocalDeployment | undefined;
  let outdated = false;
  if (recorded && recorded.chainId === chainId && recorded.contractsHash !== contractSourcesHash) {
    outdated = true;
  } else if (recorded && recorded.chainId === chainId) {
    const [diamondCode, morCode] = await Promise.all([client.getCode({ address: recorded.diamond }), client.getCode({ address: recorded.mor })]);
    if (diamondCode && diamondCode !== "0x" && morCode && morCode !== "0x") deployment = { ...recorded, rpcUrl };
  }
  const reused = deployment !== undefined;
  if (!deployment) {
    if (outdated) onNotice?.("the contracts changed since this local chain was deployed: deploying the new ones");
    const deployed = await deployMarketplace({ rpcUrl, deployer: devAccounts[0] });
    deployment = {
      chainId: deployed.chainId,
      rpcUrl,
      diamond: deployed.diamond,
      mor: deployed.mor,
      blockNumber: deployed.blockNumber.toString(),
      deployedAt: new Date().toISOString(),
      contractsHash: contractSourcesHash,
    };
  }
  const provider = devAccounts[demoOffer.providerAccountIndex];
  const seeded = await seedDemoProvider({
    rpcUrl,
    diamond: deployment.diamond,
    mor: deployment.mor,
    funder: devAccounts[0],
    provider,
    endpoint: providerEndpoint,
    model: { name: demoOffer.model.name, tags: [...demoOffer.model.tags] },
    pricePerSecond: demoOffer.pricePerSecond,
  });
  // Written last: the record only ever names a fully deployed and seeded chain.
  writeLocalDeployment(deployment, deploymentFile);
  return { deployment, reused, demo: { provider: provider.address, ...seeded } };
}

/**
 * anvil with its state under `dataDir`/chain, and the marketplace on it (`npm start`, `npm run
 * chain`). anvil is stopped again if the deployment fails, so nothing is left half up.
 */
export async function startLocalMarketplace({
  dataDir,
  port,
  providerEndpoint,
  onNotice,
}: {
  dataDir: string;
  port: number;
  providerEndpoint?: string;
  onNotice?: (message: string) => void;
}): Promise<{ anvil: Anvil; market: LocalMarketplace }> {
  const anvil = await startAnvil({ port, stateFile: path.join(dataDir, "chain", "anvil-state.json"), silent: true });
  try {
    const market = await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile: localDeploymentPath(dataDir), providerEndpoint, onNotice });
    return { anvil, market };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
