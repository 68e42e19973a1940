"use client";

// The provider record: register (endpoint and stake), update the endpoint or add stake, deregister.
import { useState } from "react";
import { ENDPOINT_FORMAT } from "@/lib/morrpc/endpoint";
import { formatMor, parseMor } from "@/lib/chain/format";
import type { ProviderOverview } from "@/lib/chain/provider-overview";
import { providerEndpointProblem } from "@/lib/chain/provider-endpoint";
import { Fact, Field, Panel, dangerButtonClass, formatTimestamp, inputClass, primaryButtonClass } from "./ui";
import { TransactionStatus, useChainTransaction, type ChainContracts } from "./use-chain-transaction";

/** A MOR amount typed by a person, or the reason it is not one. */
export function readMorInput(text: string, what: string): { wei: bigint } | { problem: string } {
  try {
    return { wei: parseMor(text) };
  } catch {
    return { problem: `${what}: enter an amount of MOR such as 0.5 (digits and one dot).` };
  }
}

export function ProviderPanel({ overview, contracts, localChain }: { overview: ProviderOverview; contracts: ChainContracts; localChain: boolean }) {
  const { provider, settings } = overview;
  const active = !!provider && !provider.isDeleted;
  const currentStake = provider?.stake ?? 0n;
  const [endpoint, setEndpoint] = useState(provider?.endpoint ?? "");
  const [stake, setStake] = useState(active ? "0" : formatMor(settings.providerMinimumStake > currentStake ? settings.providerMinimumStake - currentStake : 0n).replace(/ MOR$/, ""));
  const register = useChainTransaction(contracts);
  const deregister = useChainTransaction(contracts);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const amount = readMorInput(stake, "Stake");
    const endpointText = endpoint.trim();
    const done = await register.run({
      title: active ? "Update the provider" : "Register as a provider",
      functionName: "providerRegister",
      args: [overview.address, "wei" in amount ? amount.wei : 0n, endpointText],
      spends: "wei" in amount ? amount.wei : 0n,
      check: () => {
        const endpointProblem = providerEndpointProblem(endpointText, { localChain });
        if (endpointProblem) return endpointProblem;
        if ("problem" in amount) return amount.problem;
        const total = currentStake + amount.wei;
        if (total < settings.providerMinimumStake) {
          return `Stake below the minimum of ${formatMor(settings.providerMinimumStake)}${currentStake > 0n ? ` (your stake would be ${formatMor(total)})` : ""}.`;
        }
        return null;
      },
      onMined: () => (active ? "Your provider record is updated." : "You are registered as a provider."),
    });
    if (done) setStake("0");
  };

  const returns = overview.deregisterReturns;
  return (
    <Panel
      id="provider-title"
      title="Provider"
      description={
        active ? (
          "Your provider record on the Compute Node. Consumers dial its endpoint to open sessions with your bids."
        ) : (
          <>
            Register this address as a provider: the endpoint your node listens on and a stake of at least{" "}
            <strong className="text-fg" data-testid="provider-min-stake">
              {formatMor(settings.providerMinimumStake)}
            </strong>{" "}
            (the minimum read from the chain).
          </>
        )
      }
    >
      {provider && (
        <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="provider-record">
          <Fact term="Endpoint">
            <span className="break-all font-mono">{provider.endpoint || "—"}</span>
          </Fact>
          <Fact term="Stake">{formatMor(provider.stake)}</Fact>
          <Fact term="Registered">{formatTimestamp(provider.createdAt)}</Fact>
          <Fact term="Status">
            <span data-testid="provider-status">{provider.isDeleted ? "Deregistered" : "Active"}</span>
          </Fact>
        </dl>
      )}

      <form onSubmit={submit} className="grid gap-4 sm:grid-cols-[2fr_1fr_auto] sm:items-start" aria-label={active ? "Update the provider" : "Register as a provider"}>
        <Field label="Endpoint (host:port)" hint={localChain ? `${ENDPOINT_FORMAT}.` : `${ENDPOINT_FORMAT}; a public host.`}>
          <input className={inputClass} value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder="provider.example.com:3333" maxLength={300} required spellCheck={false} autoComplete="off" />
        </Field>
        <Field label={active ? "Stake to add (MOR)" : "Stake (MOR)"} hint={`Minimum in all: ${formatMor(settings.providerMinimumStake)}`}>
          <input className={inputClass} value={stake} onChange={(e) => setStake(e.target.value)} inputMode="decimal" required autoComplete="off" />
        </Field>
        <div className="sm:pt-6">
          <button type="submit" className={primaryButtonClass} disabled={register.busy}>
            {active ? "Update" : "Register"}
          </button>
        </div>
      </form>
      <TransactionStatus state={register.state} explorerUrl={contracts.explorerUrl} />

      {active && (
        <div className="space-y-3 border-t border-line pt-4">
          <p className="text-sm text-fg-muted" data-testid="deregister-returns">
            Deregistering sends back {formatMor(returns.now)} now
            {returns.held > 0n ? (
              <>
                ; the {formatMor(returns.held)} you earned in the current earnings period stays staked (the contract caps what a provider earns per
                period by its stake) until {formatTimestamp(returns.heldUntil)}
              </>
            ) : null}
            . Delete your bids first: consumers cannot open sessions with a deregistered provider.
          </p>
          <button
            type="button"
            className={dangerButtonClass}
            disabled={deregister.busy}
            onClick={() =>
              void deregister.run({
                title: "Deregister",
                functionName: "providerDeregister",
                args: [overview.address],
                onMined: () => `Deregistered; ${formatMor(returns.now)} sent back to your wallet.`,
              })
            }
          >
            Deregister
          </button>
        </div>
      )}
      <TransactionStatus state={deregister.state} explorerUrl={contracts.explorerUrl} />
    </Panel>
  );
}
