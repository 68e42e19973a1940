"use client";

// Bids: post one for a model at a price in MOR per hour (converted to the contract's wei per
// second, rounding shown), checked against the marketplace's min / max price, with the bid fee
// read from the chain; delete one. A new price is a new bid (the contract deletes the old one).
import { useState } from "react";
import type { Hex } from "viem";
import { formatMor, formatMorExact, formatMorPerHour, quoteMorPerHour, type HourlyPriceQuote } from "@/lib/chain/format";
import type { ProviderOverview } from "@/lib/chain/provider-overview";
import { Field, Panel, dangerButtonClass, formatTimestamp, inputClass, primaryButtonClass } from "./ui";
import { TransactionStatus, useChainTransaction, type ChainContracts } from "./use-chain-transaction";

function quote(text: string): HourlyPriceQuote | null {
  try {
    return quoteMorPerHour(text);
  } catch {
    return null;
  }
}

export function BidsPanel({ overview, contracts, registered }: { overview: ProviderOverview; contracts: ChainContracts; registered: boolean }) {
  const { settings } = overview;
  const own = new Set(overview.ownModels.map((m) => m.modelId));
  const choices = [...overview.activeModels].sort((a, b) => Number(own.has(b.modelId)) - Number(own.has(a.modelId)));
  // Empty until the provider picks one: the default follows the list (a model just registered comes first).
  const [modelId, setModelId] = useState<Hex | "">("");
  const [price, setPrice] = useState("");
  const post = useChainTransaction(contracts);
  const remove = useChainTransaction(contracts);
  const [removing, setRemoving] = useState<Hex | null>(null);
  const chosen = choices.find((m) => m.modelId === modelId) ?? choices[0];
  const q = price.trim() ? quote(price) : null;
  const replaces = chosen ? overview.bids.find((b) => b.modelId === chosen.modelId) : undefined;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const perSecond = q?.pricePerSecond ?? 0n;
    await post.run({
      title: "Post the bid",
      functionName: "postModelBid",
      args: [overview.address, chosen?.modelId ?? ("0x" as Hex), perSecond],
      spends: settings.bidFee,
      check: () => {
        if (!registered) return "Register as a provider first: only a registered provider can post bids.";
        if (!chosen) return "Pick a model.";
        if (!q) return "Enter a price in MOR per hour, such as 0.5.";
        if (q.pricePerSecond < settings.minPricePerSecond) {
          return `Price below the minimum of ${formatMorPerHour(settings.minPricePerSecond)} (${settings.minPricePerSecond} wei per second).`;
        }
        if (q.pricePerSecond > settings.maxPricePerSecond) {
          return `Price above the maximum of ${formatMorPerHour(settings.maxPricePerSecond)} (${settings.maxPricePerSecond} wei per second).`;
        }
        return null;
      },
      onMined: () => `Your bid for ${chosen?.name} at ${formatMorPerHour(q?.pricePerSecond ?? 0n)} is live; the bid fee of ${formatMor(settings.bidFee)} was charged.`,
    });
  };

  return (
    <Panel
      id="bids-title"
      title="Bids"
      description="A bid offers a model at a price; consumers pay it per second of the sessions they open with you."
    >
      {overview.bids.length === 0 ? (
        <p className="text-sm text-fg-subtle">No active bids: consumers cannot open sessions with you.</p>
      ) : (
        <ul className="divide-y divide-line rounded-lg border border-line" aria-label="Your active bids">
          {overview.bids.map((bid) => (
            <li key={bid.bidId} className="flex flex-wrap items-center justify-between gap-3 p-3 text-sm" data-testid="own-bid">
              <div className="min-w-0 space-y-0.5">
                <p className="font-mono font-semibold text-fg">{bid.modelName}</p>
                <p className="text-xs text-fg-muted">
                  <span className="font-medium text-accent">{formatMorPerHour(bid.pricePerSecond)}</span> · {bid.pricePerSecond.toString()} wei/s · since{" "}
                  {formatTimestamp(bid.createdAt)}
                </p>
              </div>
              <button
                type="button"
                className={dangerButtonClass}
                disabled={remove.busy}
                onClick={() => {
                  setRemoving(bid.bidId);
                  void remove.run({ title: `Delete the bid for ${bid.modelName}`, functionName: "deleteModelBid", args: [bid.bidId], onMined: () => "The bid is deleted." });
                }}
              >
                {remove.busy && removing === bid.bidId ? "Deleting…" : "Delete"}
              </button>
            </li>
          ))}
        </ul>
      )}
      <TransactionStatus state={remove.state} explorerUrl={contracts.explorerUrl} />

      <form onSubmit={submit} className="space-y-4 border-t border-line pt-4" aria-label="Post a bid">
        <h3 className="font-medium text-fg">Post a bid</h3>
        {choices.length === 0 ? (
          <p className="text-sm text-fg-subtle">No model is registered yet: register one above first.</p>
        ) : (
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Model">
              <select className={inputClass} value={chosen?.modelId ?? ""} onChange={(e) => setModelId(e.target.value as Hex)}>
                {choices.map((m) => (
                  <option key={m.modelId} value={m.modelId}>
                    {m.name}
                    {own.has(m.modelId) ? " (yours)" : ""}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              label="Price (MOR per hour)"
              hint={`Allowed: ${formatMorPerHour(settings.minPricePerSecond)} to ${formatMorPerHour(settings.maxPricePerSecond)} (read from the chain).`}
            >
              <input className={inputClass} value={price} onChange={(e) => setPrice(e.target.value)} inputMode="decimal" placeholder="0.36" required autoComplete="off" />
            </Field>
          </div>
        )}
        {q && (
          <p className="break-words text-sm text-fg-muted" data-testid="price-quote">
            The contract counts wei per second: {price.trim()} MOR/h = <span className="font-mono text-fg">{q.pricePerSecond.toString()}</span> wei/s
            {q.roundedOffPerHour === 0n
              ? ", exactly."
              : `, rounded down: the bid charges ${formatMorExact(q.chargedPerHour)} per hour (${formatMorExact(q.roundedOffPerHour)} less than asked).`}
          </p>
        )}
        <p className="text-sm text-fg-muted">
          Posting costs the bid fee of{" "}
          <strong className="text-fg" data-testid="bid-fee">
            {formatMor(settings.bidFee)}
          </strong>{" "}
          (read from the chain; not refunded). Changing a price is delete + post: post a new bid for the same model and the contract deletes your previous one
          first, charging the fee again.
          {replaces ? ` Your current bid for ${chosen?.name} (${formatMorPerHour(replaces.pricePerSecond)}) will be replaced.` : ""}
        </p>
        <button type="submit" className={primaryButtonClass} disabled={post.busy || choices.length === 0}>
          Post the bid
        </button>
        <TransactionStatus state={post.state} explorerUrl={contracts.explorerUrl} />
      </form>
    </Panel>
  );
}
