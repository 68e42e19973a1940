// The wagmi config of the app pages, built per browser (and per server render) from the chain the
// server passes down: create-wagmi's Next template (ssr + cookie storage). Browser (injected)
// wallets only, unless a WalletConnect project id is configured: only then are WalletConnect and
// Coinbase wallets offered, and only they contact outside servers.
import { connectorsForWallets, type WalletList } from "@rainbow-me/rainbowkit";
import { coinbaseWallet, injectedWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";
import { defineChain } from "viem";
import { cookieStorage, createConfig, createStorage, http } from "wagmi";
import type { PublicChainConfig } from "@/lib/chain/public-chain";
import { relayMaxBatch } from "@/lib/chain/relay-limits";

export function getConfig(chain: PublicChainConfig, walletConnectProjectId?: string) {
  const viemChain = defineChain({
    id: chain.id,
    name: chain.name,
    nativeCurrency: chain.nativeCurrency,
    rpcUrls: { default: { http: [chain.rpcUrl] } },
    ...(chain.explorerUrl ? { blockExplorers: { default: { name: "Explorer", url: chain.explorerUrl } } } : {}),
    testnet: chain.testnet,
  });
  const wallets: WalletList = [
    { groupName: "Browser", wallets: walletConnectProjectId ? [injectedWallet, coinbaseWallet, walletConnectWallet] : [injectedWallet] },
  ];
  const connectors = connectorsForWallets(wallets, { appName: "Morpheus", projectId: walletConnectProjectId ?? "" });
  return createConfig({
    chains: [viemChain],
    connectors,
    // Batches no larger than the relay takes (lib/chain/rpc-relay.ts: at most 20 calls per batch).
    transports: { [viemChain.id]: http(chain.rpcUrl, { batch: { batchSize: relayMaxBatch }, timeout: 15_000 }) },
    ssr: true,
    storage: createStorage({ storage: cookieStorage }),
  });
}

/** The cookie wagmi's cookieStorage keeps its state in (the only cookie the app pages hand to the client). */
export const wagmiCookieName = "wagmi.store";
