// How a bid's numbers read on the catalog pages: price, Morpheus rating and the provider's on-chain stats.
import { formatMorPerHour } from "@/lib/chain/format";
import type { RatedBid } from "@/lib/gateway";

const NO_DATA = "no sessions closed yet";

export function formatRating(score: number | undefined): string {
  if (score === undefined) return "unrated";
  return score >= 100 ? Math.round(score).toLocaleString("en-US") : score.toPrecision(3);
}

/** The figures of one bid, label and value, in the order the tables show them. */
export function bidFigures(bid: RatedBid): Array<{ label: string; value: string; title?: string; testId: string }> {
  const s = bid.stats;
  return [
    { label: "Price", value: formatMorPerHour(bid.offer.pricePerSecond), testId: "bid-price" },
    {
      label: "Rating",
      value: formatRating(bid.score),
      title: bid.usedByGateway ? "Morpheus rating: what the gateway ranks bids by (higher is better)" : "Not used by this gateway (provider allow-list)",
      testId: "bid-rating",
    },
    { label: "TTFT", value: s.ttftMs === undefined ? "—" : `${Math.round(s.ttftMs)} ms`, title: s.ttftMs === undefined ? NO_DATA : "mean time to first token", testId: "bid-ttft" },
    {
      label: "TPS",
      value: s.tokensPerSecond === undefined ? "—" : `${s.tokensPerSecond.toFixed(1)} tok/s`,
      title: s.tokensPerSecond === undefined ? NO_DATA : "mean tokens per second",
      testId: "bid-tps",
    },
    {
      label: "Success",
      value: s.successRate === undefined ? "—" : `${Math.round(s.successRate * 100)} %`,
      title: s.successRate === undefined ? NO_DATA : "sessions closed with the provider's receipt",
      testId: "bid-success",
    },
    { label: "Sessions", value: String(s.sessions), title: "sessions closed on-chain", testId: "bid-sessions" },
  ];
}
