// Which chain, RPC and contract addresses this process uses: env overrides, then the network
// table, then (for the local chain) the deployment record written by `npm start`.
import fs from "node:fs";
import path from "node:path";
import { createPublicClient, getAddress, http, type Address, type PublicClient } from "viem";
import { z } from "zod";
import { env } from "@/lib/env";
import { networks, type Network } from "./networks";

export interface ChainConfig {
  network: Network;
  rpcUrl: string;
  diamond: Address;
  mor: Address;
}

const deploymentSchema = z.object({
  chainId: z.number().int(),
  rpcUrl: z.string(),
  diamond: z.string().transform((a) => getAddress(a)),
  mor: z.string().transform((a) => getAddress(a)),
  blockNumber: z.string(),
  deployedAt: z.string(),
  /** contractSourcesHash of the contracts deployed (absent in records written before it was kept). */
  contractsHash: z.string().optional(),
});
export type LocalDeployment = z.infer<typeof deploymentSchema>;

export class ChainConfigError extends Error {}

/** Where `npm start` records the contracts it deployed on the local chain. */
export function localDeploymentPath(dataDir = env().DATA_DIR): string {
  return path.resolve(dataDir, "chain", "deployment.json");
}

export function readLocalDeployment(file = localDeploymentPath()): LocalDeployment | undefined {
  // A runtime data file, not a source: keep the bundler from tracing the whole project for it.
  if (!fs.existsSync(/*turbopackIgnore: true*/ file)) return undefined;
  return deploymentSchema.parse(JSON.parse(fs.readFileSync(/*turbopackIgnore: true*/ file, "utf8")));
}

export function writeLocalDeployment(deployment: LocalDeployment, file = localDeploymentPath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
}

export function activeNetwork(): Network {
  return networks[env().CHAIN];
}

/** The configured network and its RPC URL, without the contract addresses (SIWE needs only these). */
export function chainRpc(): { network: Network; rpcUrl: string } {
  const e = env();
  const network = networks[e.CHAIN];
  const local = e.CHAIN === "local" ? readLocalDeployment() : undefined;
  return { network, rpcUrl: e.RPC_URL ?? local?.rpcUrl ?? network.defaultRpcUrl };
}

export function chainConfig(): ChainConfig {
  const e = env();
  const { network, rpcUrl } = chainRpc();
  const local = e.CHAIN === "local" ? readLocalDeployment() : undefined;
  const diamond = e.DIAMOND_ADDRESS ?? network.diamond ?? local?.diamond;
  const mor = e.MOR_TOKEN_ADDRESS ?? network.morToken ?? local?.mor;
  if (!diamond || !mor) {
    throw new ChainConfigError(
      `No Compute Node contracts known for CHAIN=${e.CHAIN}: run \`npm start\` to deploy the local marketplace, ` +
        "or set DIAMOND_ADDRESS and MOR_TOKEN_ADDRESS.",
    );
  }
  return { network, rpcUrl, diamond: getAddress(diamond), mor: getAddress(mor) };
}

const clients = new Map<string, PublicClient>();

/** A shared viem public client for the configured chain (only `network` and `rpcUrl` are used). */
export function publicClient(config: Pick<ChainConfig, "network" | "rpcUrl"> = chainConfig()): PublicClient {
  let client = clients.get(config.rpcUrl);
  if (!client) {
    client = createPublicClient({ chain: config.network.chain, transport: http(config.rpcUrl, { batch: true }) });
    clients.set(config.rpcUrl, client);
  }
  return client;
}
