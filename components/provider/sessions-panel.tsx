"use client";

// Sessions served and their earnings: what was paid, what is held until the end of its day, and
// what claimForProvider pays now (per session, with a button).
import { useState } from "react";
import type { Hex } from "viem";
import { formatMor, formatMorPerHour } from "@/lib/chain/format";
import { MAX_SESSIONS_SHOWN, type ProviderOverview } from "@/lib/chain/provider-overview";
import { Fact, Panel, formatTimestamp, secondaryButtonClass } from "./ui";
import { TransactionStatus, useChainTransaction, type ChainContracts } from "./use-chain-transaction";

export function SessionsPanel({ overview, contracts }: { overview: ProviderOverview; contracts: ChainContracts }) {
  const { sessions } = overview;
  const claim = useChainTransaction(contracts);
  const [claiming, setClaiming] = useState<Hex | null>(null);
  const names = new Map([...overview.activeModels, ...overview.ownModels].map((m) => [m.modelId, m.name]));
  return (
    <Panel
      id="sessions-title"
      title="Sessions and earnings"
      description={
        sessions.total > BigInt(MAX_SESSIONS_SHOWN)
          ? `Your ${MAX_SESSIONS_SHOWN} newest sessions of ${sessions.total}; the totals below are theirs.`
          : "Sessions consumers opened with your bids. A session pays when it ends; what the contract holds for later is claimed here."
      }
    >
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
        <Fact term="Sessions">{sessions.total.toString()}</Fact>
        <Fact term="Earned">{formatMor(sessions.earned)}</Fact>
        <Fact term="Paid to you">{formatMor(sessions.received)}</Fact>
        <Fact term="Claimable now">
          <span data-testid="claimable-total">{formatMor(sessions.claimable < sessions.claimCap ? sessions.claimable : sessions.claimCap)}</span>
        </Fact>
      </dl>
      {sessions.claimable > sessions.claimCap && (
        <p className="text-sm text-fg-muted">
          The contract pays a provider at most its stake per earnings period: {formatMor(sessions.claimCap)} can be claimed now, the rest after the
          period ends.
        </p>
      )}
      {sessions.shown.length === 0 ? (
        <p className="text-sm text-fg-subtle">No sessions yet. They appear here once consumers open sessions with your bids.</p>
      ) : (
        <ul className="divide-y divide-line rounded-lg border border-line" aria-label="Your sessions">
          {sessions.shown.map((s) => (
            <li key={s.sessionId} className="flex flex-wrap items-center justify-between gap-3 p-3 text-sm" data-testid="provider-session">
              <div className="min-w-0 space-y-0.5">
                <p className="text-fg">
                  <span className="font-mono">{names.get(s.modelId) ?? `${s.modelId.slice(0, 10)}…`}</span> · {formatMorPerHour(s.pricePerSecond)} ·{" "}
                  {s.closedAt !== 0n ? `closed ${formatTimestamp(s.closedAt)}` : s.endsAt > overview.now ? "open" : `ended ${formatTimestamp(s.endsAt)}`}
                </p>
                <p className="text-xs text-fg-muted">
                  opened {formatTimestamp(s.openedAt)} · earned {formatMor(s.earned)} · paid {formatMor(s.providerWithdrawnAmount)}
                  {s.onHold > 0n ? ` · ${formatMor(s.onHold)} on hold until the day ends` : ""}
                </p>
              </div>
              {s.claimable > 0n && (
                <button
                  type="button"
                  className={secondaryButtonClass}
                  disabled={claim.busy}
                  onClick={() => {
                    setClaiming(s.sessionId);
                    void claim.run({ title: `Claim ${formatMor(s.claimable)}`, functionName: "claimForProvider", args: [s.sessionId], onMined: () => "Claimed: the MOR is in your wallet." });
                  }}
                >
                  {claim.busy && claiming === s.sessionId ? "Claiming…" : `Claim ${formatMor(s.claimable)}`}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <TransactionStatus state={claim.state} explorerUrl={contracts.explorerUrl} />
    </Panel>
  );
}
