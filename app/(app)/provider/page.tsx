import type { Metadata } from "next";
import { ProviderConsole } from "@/components/provider/provider-console";
import { ChainConfigError, chainConfig } from "@/lib/chain/config";

export const metadata: Metadata = { title: "Provider" };
// The contract addresses are decided at run time (`npm start` deploys the local ones).
export const dynamic = "force-dynamic";

export default function ProviderPage() {
  let config;
  try {
    config = chainConfig();
  } catch (error) {
    if (!(error instanceof ChainConfigError)) throw error;
    return (
      <div role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        <h1 className="mb-2 text-xl font-semibold">No marketplace contracts are configured</h1>
        <p>{error.message}</p>
      </div>
    );
  }
  const { network, diamond, mor } = config;
  return (
    <div className="space-y-6">
      <header className="space-y-2">
        <h1 className="text-3xl font-bold text-fg">Provider</h1>
        <p className="max-w-3xl text-fg-muted">
          Sell inference on {network.label}: register your node&apos;s endpoint with a MOR stake, register models, post bids, and claim what your
          sessions earned. Your wallet signs every transaction; the portal holds no key.
        </p>
      </header>
      <ProviderConsole
        contracts={{ diamond, mor, ...(network.explorerUrl ? { explorerUrl: network.explorerUrl } : {}) }}
        network={{ name: network.name, label: network.label, chainId: network.chain.id, local: network.name === "local" }}
      />
    </div>
  );
}
