import type { Metadata } from "next";
import Link from "next/link";
import { Address } from "@/components/address";
import { BidList } from "@/components/catalog/bid-list";
import { activeNetwork } from "@/lib/chain/config";
import { formatMor } from "@/lib/chain/format";
import { catalogTags, filterCatalog, parseCatalogQuery, readCatalog, type CatalogModel } from "@/lib/gateway";
import { describeError } from "@/lib/redact";

export const metadata: Metadata = { title: "Models" };
// The catalog changes with the chain: rendered per request from the gateway's cached catalog.
export const dynamic = "force-dynamic";

const sortLabels = { rating: "Best rating", price: "Lowest price", name: "Name" } as const;

export default async function ModelsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const network = activeNetwork();
  const query = parseCatalogQuery(await searchParams);
  let models: CatalogModel[];
  try {
    models = await readCatalog();
  } catch (error) {
    console.error(`models page: chain read failed: ${describeError(error)}`);
    return (
      <div role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        <h1 className="mb-2 text-xl font-semibold">The model catalog is unavailable</h1>
        <p>The {network.label} node could not be read right now. Please try again in a moment.</p>
      </div>
    );
  }
  const tags = catalogTags(models);
  const shown = filterCatalog(models, query);
  const filtered = query.q !== "" || query.tag !== undefined || query.withBids;

  return (
    <div className="space-y-8">
      <header className="space-y-2">
        <h1 className="text-3xl font-bold text-fg">Models</h1>
        <p className="text-fg-muted">
          Every model registered on the Compute Node contracts on {network.label}, with the providers currently bidding to serve it.
          Prices are what a session costs per hour of its duration; the rating is the Morpheus score the gateway picks providers by
          (stats, success rate and stake per MOR of price: higher is better).
        </p>
      </header>

      {models.length === 0 ? (
        <p className="rounded-xl border border-line bg-panel p-6 text-fg-muted">No models are registered on {network.label} yet.</p>
      ) : (
        <>
          <form method="get" action="/models" role="search" aria-label="Filter models" className="flex flex-wrap items-end gap-3 rounded-xl border border-line bg-panel p-4 text-sm">
            <label className="flex min-w-48 flex-1 flex-col gap-1">
              <span className="text-fg-subtle">Search</span>
              <input
                type="search"
                name="q"
                defaultValue={query.q}
                maxLength={100}
                placeholder="name, tag or model id"
                className="rounded-lg border border-line bg-page px-3 py-1.5 text-fg"
              />
            </label>
            <label className="flex flex-col gap-1">
              <span className="text-fg-subtle">Tag</span>
              <select name="tag" defaultValue={query.tag ?? ""} className="rounded-lg border border-line bg-page px-3 py-1.5 text-fg">
                <option value="">Any tag</option>
                {tags.map((tag) => (
                  <option key={tag} value={tag}>
                    {tag}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex flex-col gap-1">
              <span className="text-fg-subtle">Sort by</span>
              <select name="sort" defaultValue={query.sort} className="rounded-lg border border-line bg-page px-3 py-1.5 text-fg">
                {Object.entries(sortLabels).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-2 py-1.5">
              <input type="checkbox" name="bids" value="1" defaultChecked={query.withBids} className="accent-brand-500" />
              <span className="text-fg-soft">With bids only</span>
            </label>
            <button type="submit" className="rounded-lg bg-brand-500 px-4 py-1.5 font-medium text-ink-950 hover:bg-brand-400">
              Apply
            </button>
            {filtered && (
              <Link href="/models" className="py-1.5 text-fg-muted underline-offset-2 hover:underline">
                Clear
              </Link>
            )}
          </form>

          <p className="text-sm text-fg-subtle" data-testid="model-count">
            {shown.length === models.length ? `${models.length} model${models.length === 1 ? "" : "s"}` : `${shown.length} of ${models.length} models`}
          </p>

          {shown.length === 0 ? (
            <p className="rounded-xl border border-line bg-panel p-6 text-fg-muted">No model matches this filter.</p>
          ) : (
            <ul className="space-y-6">
              {shown.map((model) => (
                <li key={model.modelId} className="rounded-xl border border-line bg-panel p-4 sm:p-6" data-testid="model-card">
                  <div className="flex flex-wrap items-baseline justify-between gap-3">
                    <h2 className="font-mono text-lg font-semibold text-fg">
                      <Link href={`/models/${model.modelId}`} className="hover:text-accent hover:underline">
                        {model.name || model.modelId}
                      </Link>
                    </h2>
                    <span className="text-xs text-fg-subtle">
                      stake {formatMor(model.stake)} · owner <Address value={model.owner} />
                    </span>
                  </div>
                  {model.tags.length > 0 && (
                    <ul className="mt-2 flex flex-wrap gap-2" aria-label="Tags">
                      {model.tags.map((tag) => (
                        <li key={tag} className="rounded-full bg-chip px-2.5 py-0.5 text-xs text-fg-soft">
                          {tag}
                        </li>
                      ))}
                    </ul>
                  )}
                  <p className="mt-2 break-all font-mono text-xs text-fg-subtle">
                    API id <span className="text-fg-soft">{model.id}</span> · model id {model.modelId}
                  </p>
                  <BidList bids={model.bids} label={`Bids for ${model.name}`} />
                </li>
              ))}
            </ul>
          )}
          <p className="text-xs text-fg-subtle">
            TTFT and TPS are the means of the providers&apos; signed usage receipts; success is the share of sessions closed with the
            provider&apos;s receipt rather than a dispute; — means no session has closed yet.
          </p>
        </>
      )}
    </div>
  );
}
