// The landing page's live figures (server component, streamed in under a Suspense boundary).
import Link from "next/link";
import { connection } from "next/server";
import { activeNetwork } from "@/lib/chain/config";
import { marketplaceFigures } from "@/lib/marketplace";

function Figure({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div className="rounded-xl border border-line bg-panel p-4">
      <dt className="text-xs uppercase tracking-wide text-fg-subtle">{label}</dt>
      <dd className="mt-1 text-2xl font-bold text-fg tabular-nums" data-testid={testId}>
        {value.toLocaleString("en-US")}
      </dd>
    </div>
  );
}

export async function LandingFigures() {
  await connection(); // live data: never prerendered at build time
  const figures = await marketplaceFigures();
  const network = activeNetwork().label;
  return (
    <div className="space-y-3">
      {figures.chain.ok ? (
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label={`Live on ${network}`}>
          <Figure label="Models" value={figures.chain.value.models} testId="figure-models" />
          <Figure label="Active bids" value={figures.chain.value.activeBids} testId="figure-bids" />
          <Figure label="Providers" value={figures.chain.value.providers} testId="figure-providers" />
          <Figure label="Sessions served" value={figures.chain.value.sessions} testId="figure-sessions" />
        </dl>
      ) : (
        <p role="status" className="rounded-xl border border-amber-500/40 bg-amber-500/10 p-4 text-sm text-amber-900 dark:text-amber-100" data-testid="figures-unavailable">
          The live figures of the marketplace cannot be read from the {network} chain right now. The{" "}
          <Link href="/models" className="underline">
            model list
          </Link>{" "}
          and the API come back as soon as the chain answers.
        </p>
      )}
      <p className="text-sm text-fg-muted">
        Live on {network}
        {figures.requests24h.ok
          ? ` · ${figures.requests24h.value.toLocaleString("en-US")} request${figures.requests24h.value === 1 ? "" : "s"} served through the gateway in the last 24 hours`
          : ""}
      </p>
    </div>
  );
}

/** What shows while the figures load. */
export function LandingFiguresFallback() {
  return (
    <div className="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-hidden>
      {[0, 1, 2, 3].map((i) => (
        <div key={i} className="h-[4.75rem] animate-pulse rounded-xl bg-chip" />
      ))}
    </div>
  );
}
