"use client";

// The provider's console (/provider): everything a provider does on-chain, signed by the connected
// wallet in the browser; no server in the middle and no private key anywhere but the wallet.
// Sign-in is not needed: chain actions need only a connected wallet.
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { useQuery } from "@tanstack/react-query";
import { useAccount, useChainId, useConnect, usePublicClient, type Connector } from "wagmi";
import { FaucetButton } from "@/components/faucet-button";
import { formatEth, formatMor } from "@/lib/chain/format";
import { loadProviderOverview } from "@/lib/chain/provider-overview";
import { describeTransactionError } from "@/lib/chain/revert-reason";
import { BidsPanel } from "./bids-panel";
import { ModelsConfigPanel } from "./models-config-panel";
import { ModelsPanel } from "./models-panel";
import { ProviderPanel } from "./provider-panel";
import { SessionsPanel } from "./sessions-panel";
import { Fact, primaryButtonClass, secondaryButtonClass } from "./ui";
import { overviewQueryKey, type ChainContracts } from "./use-chain-transaction";

export interface ProviderConsoleProps {
  contracts: ChainContracts;
  network: { name: string; label: string; chainId: number; local: boolean };
}

export function ProviderConsole({ contracts, network }: ProviderConsoleProps) {
  const { address, status } = useAccount();
  const chainId = useChainId();
  const client = usePublicClient({ chainId: network.chainId });
  const { openConnectModal } = useConnectModal();
  const { connectors, connect, isPending: connecting, error: connectError } = useConnect();
  const overview = useQuery({
    queryKey: [...overviewQueryKey, address, contracts.diamond],
    queryFn: () => loadProviderOverview(client!, contracts, address!),
    enabled: !!address && !!client,
    retry: 1,
  });

  if (status !== "connected" || !address) {
    return (
      <section className="max-w-xl space-y-4 rounded-xl border border-line bg-panel p-6 sm:p-8" aria-labelledby="connect-title">
        <h2 id="connect-title" className="text-xl font-semibold text-fg">
          Connect the wallet of your provider
        </h2>
        <p className="text-fg-muted">
          Your wallet signs every registration, model, bid and claim itself and sends it to {network.label}; the portal never holds your key. No
          sign-in is needed for this page.
        </p>
        <ConnectChoices
          connectors={connectors}
          connect={(connector) => connect({ connector, chainId: network.chainId })}
          openConnectModal={openConnectModal}
          busy={connecting || status === "connecting" || status === "reconnecting"}
        />
        {connectError && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-300">
            {describeTransactionError(connectError)}
          </p>
        )}
      </section>
    );
  }
  if (chainId !== network.chainId) {
    return (
      <p role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        Your wallet is on another network: switch it to {network.label} (chain id {network.chainId}).
      </p>
    );
  }
  if (overview.isPending) {
    return (
      <p role="status" className="rounded-xl border border-line bg-panel p-6 text-fg-muted">
        Reading <span className="break-all font-mono">{address}</span> from {network.label}…
      </p>
    );
  }
  if (overview.isError) {
    return (
      <div role="alert" className="space-y-3 rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        <p className="font-semibold">{network.label} could not be read right now.</p>
        <p className="text-sm">{describeTransactionError(overview.error)}</p>
        <button type="button" className="rounded-lg border border-red-500/50 px-3 py-1.5 text-sm hover:bg-red-500/10" onClick={() => void overview.refetch()}>
          Try again
        </button>
      </div>
    );
  }

  const data = overview.data;
  const registered = !!data.provider && !data.provider.isDeleted;
  return (
    <div className="space-y-6" data-testid="provider-console">
      <section aria-label="Wallet" className="space-y-4 rounded-xl border border-line bg-panel p-4 sm:p-6">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-6">
          <div className="col-span-2 sm:col-span-3 lg:col-span-2">
            <Fact term="Connected address">
              <span className="break-all font-mono text-xs" data-testid="provider-address">
                {address}
              </span>
            </Fact>
          </div>
          <Fact term="MOR">
            <span data-testid="mor-balance">{formatMor(data.morBalance)}</span>
          </Fact>
          <Fact term="ETH (gas)">{formatEth(data.ethBalance)}</Fact>
          <Fact term="Sessions served">
            <span data-testid="sessions-total">{data.sessions.total.toString()}</span>
          </Fact>
          <Fact term="MOR earned">
            <span data-testid="mor-earned">{formatMor(data.sessions.received)}</span>
            {data.sessions.claimable > 0n && <span className="block text-xs text-accent">+ {formatMor(data.sessions.claimable)} claimable</span>}
          </Fact>
        </dl>
        {network.local && (
          <div className="space-y-2 border-t border-line pt-4">
            <p className="text-sm text-fg-muted">Local chain: get test ETH for gas and test MOR for stakes and bid fees.</p>
            <FaucetButton address={address} onFunded={() => void overview.refetch()} />
          </div>
        )}
      </section>

      <ProviderPanel overview={data} contracts={contracts} localChain={network.local} />
      <ModelsPanel overview={data} contracts={contracts} />
      <BidsPanel overview={data} contracts={contracts} registered={registered} />
      <SessionsPanel overview={data} contracts={contracts} />
      <ModelsConfigPanel overview={data} network={network} />
    </div>
  );
}

/**
 * Browser wallets connect directly (wagmi), without RainbowKit's modal: the modal insists on
 * Sign-In with Ethereum and disconnects when it is declined, and chain actions need no sign-in.
 * Other wallets (WalletConnect, when configured) go through the modal.
 */
function ConnectChoices({
  connectors,
  connect,
  openConnectModal,
  busy,
}: {
  connectors: readonly Connector[];
  connect: (connector: Connector) => void;
  openConnectModal?: () => void;
  busy: boolean;
}) {
  const seen = new Set<string>();
  const browser = connectors.filter((c) => c.type === "injected" && !seen.has(c.name) && seen.add(c.name));
  const others = connectors.some((c) => c.type !== "injected");
  return (
    <div className="flex flex-wrap gap-3">
      {browser.map((connector) => (
        <button key={connector.uid} type="button" className={primaryButtonClass} disabled={busy} onClick={() => connect(connector)}>
          {busy ? "Connecting…" : `Connect ${connector.name}`}
        </button>
      ))}
      {(others || browser.length === 0) && openConnectModal && (
        <button type="button" className={browser.length ? secondaryButtonClass : primaryButtonClass} disabled={busy} onClick={openConnectModal}>
          {browser.length ? "Other wallets…" : "Connect wallet"}
        </button>
      )}
    </div>
  );
}
