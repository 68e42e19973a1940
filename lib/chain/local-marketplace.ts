// The local marketplace `npm start` runs: contracts deployed once per chain state, a demo provider
// seeded on top. Re-running it against the same chain reuses what is there (restart-safe).
import { createPublicClient, http, type Address } from "viem";
import { foundry } from "viem/chains";
import { devAccounts } from "./anvil";
import { readLocalDeployment, writeLocalDeployment, type LocalDeployment } from "./config";
import { deployMarketplace, seedDemoProvider } from "./deploy";

/** The seeded demo offer: anvil account #1 serving a deterministic demo model (not a real LLM). */
export const demoOffer = {
  providerAccountIndex: 1,
  endpoint: "127.0.0.1:3333",
  model: { name: "morpheus-demo-chat", tags: ["demo", "chat", "deterministic"] },
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
 * contracts are missing on-chain (chain state lost) is discarded and the contracts redeployed, so
 * the record never points at a half-deployed chain.
 */
export async function ensureLocalMarketplace({ rpcUrl, deploymentFile }: { rpcUrl: string; deploymentFile: string }): Promise<LocalMarketplace> {
  const client = createPublicClient({ chain: foundry, transport: http(rpcUrl) });
  const chainId = await client.getChainId();
  const recorded = readLocalDeployment(deploymentFile);
  let deployment: LocalDeployment | undefined;
  if (recorded && recorded.chainId === chainId) {
    const [diamondCode, morCode] = await Promise.all([client.getCode({ address: recorded.diamond }), client.getCode({ address: recorded.mor })]);
    if (diamondCode && diamondCode !== "0x" && morCode && morCode !== "0x") deployment = { ...recorded, rpcUrl };
  }
  const reused = deployment !== undefined;
  if (!deployment) {
    const deployed = await deployMarketplace({ rpcUrl, deployer: devAccounts[0] });
    deployment = {
      chainId: deployed.chainId,
      rpcUrl,
      diamond: deployed.diamond,
      mor: deployed.mor,
      blockNumber: deployed.blockNumber.toString(),
      deployedAt: new Date().toISOString(),
    };
  }
  const provider = devAccounts[demoOffer.providerAccountIndex];
  const seeded = await seedDemoProvider({
    rpcUrl,
    diamond: deployment.diamond,
    mor: deployment.mor,
    funder: devAccounts[0],
    provider,
    endpoint: demoOffer.endpoint,
    model: { name: demoOffer.model.name, tags: [...demoOffer.model.tags] },
    pricePerSecond: demoOffer.pricePerSecond,
  });
  // Written last: the record only ever names a fully deployed and seeded chain.
  writeLocalDeployment(deployment, deploymentFile);
  return { deployment, reused, demo: { provider: provider.address, ...seeded } };
}
