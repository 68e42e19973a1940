// What the browser needs to know about the configured chain, decided at run time on the server
// and handed to the wallet providers as props (not NEXT_PUBLIC_* build-time constants: `npm start`
// picks ports when it starts). The browser reads the chain through this app's own /api/chain/rpc
// relay, so it never learns RPC_URL (hosted RPC URLs embed API keys) and never leaves the origin.
import { chainRpc } from "./config";

export interface PublicChainConfig {
  id: number;
  name: string;
  nativeCurrency: { name: string; symbol: string; decimals: number };
  /** Same-origin JSON-RPC relay (absolute URL: wallets adding the chain need one). */
  rpcUrl: string;
  explorerUrl?: string;
  testnet: boolean;
}

export const chainRelayPath = "/api/chain/rpc";

export function publicChainConfig(siteOrigin: string): PublicChainConfig {
  const { network } = chainRpc();
  return {
    id: network.chain.id,
    name: network.label,
    nativeCurrency: { ...network.chain.nativeCurrency },
    rpcUrl: `${siteOrigin}${chainRelayPath}`,
    ...(network.explorerUrl ? { explorerUrl: network.explorerUrl } : {}),
    testnet: network.name !== "base" && network.name !== "arbitrum",
  };
}
