// The bids of one model: a table on wide screens, label/value blocks on a phone.
import { Address } from "@/components/address";
import type { RatedBid } from "@/lib/gateway";
import { bidFigures } from "./bid-stats";

const columns = "md:grid-cols-[minmax(7rem,1fr)_minmax(9rem,1.4fr)_repeat(6,minmax(4.5rem,auto))]";

export function BidList({ bids, label }: { bids: readonly RatedBid[]; label: string }) {
  if (bids.length === 0) {
    return <p className="mt-4 text-sm text-fg-subtle">No active bids: no provider serves this model right now.</p>;
  }
  const headings = ["Provider", "Endpoint", ...bidFigures(bids[0]).map((f) => f.label)];
  return (
    <div className="mt-4" role="table" aria-label={label}>
      <div role="row" className={`hidden gap-x-4 border-b border-line pb-2 text-xs font-medium uppercase text-fg-subtle md:grid ${columns}`}>
        {headings.map((h, i) => (
          <span role="columnheader" key={h} className={i >= 2 ? "text-right" : undefined}>
            {h}
          </span>
        ))}
      </div>
      {bids.map((bid) => (
        <div
          role="row"
          key={bid.offer.bidId}
          data-testid="bid-row"
          className={`grid grid-cols-2 gap-x-4 gap-y-1 border-b border-line py-3 text-sm last:border-b-0 md:items-center md:py-2 ${columns}`}
        >
          <span role="cell" className="col-span-2 md:col-span-1">
            <span className="text-fg-subtle md:hidden">Provider </span>
            <Address value={bid.offer.provider} />
          </span>
          <span role="cell" className="col-span-2 break-all font-mono text-fg-muted md:col-span-1">
            <span className="font-sans text-fg-subtle md:hidden">Endpoint </span>
            {bid.offer.providerEndpoint}
          </span>
          {bidFigures(bid).map((f) => (
            <span role="cell" key={f.label} title={f.title} data-testid={f.testId} className="flex justify-between gap-2 md:block md:text-right">
              <span className="text-fg-subtle md:hidden">{f.label}</span>
              <span className={f.label === "Price" ? "font-medium text-accent" : "tabular-nums"}>{f.value}</span>
            </span>
          ))}
        </div>
      ))}
    </div>
  );
}
