import type { Metadata } from "next";
import type { ModelOffer } from "@/lib/chain/catalog";
import { activeNetwork } from "@/lib/chain/config";
import { formatMor, formatMorPerHour } from "@/lib/chain/format";
import { Address } from "@/components/address";
import { modelCatalog } from "@/lib/gateway";
import { describeError } from "@/lib/redact";

export const metadata: Metadata = { title: "Models" };
// Rendered per request from the gateway's catalog cache (the chain read at most every few seconds).
export const dynamic = "force-dynamic";

export default async function ModelsPage() {
  const network = activeNetwork();
  let models: ModelOffer[];
  try {
    models = await modelCatalog();
  } catch (error) {
    console.error(`models page: chain read failed: ${describeError(error)}`);
    return (
      <div role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        <h1 className="mb-2 text-xl font-semibold">The model catalog is unavailable</h1>
        <p>The {network.label} node could not be read right now. Please try again in a moment.</p>
      </div>
    );
  }

  return (
    <div className="space-y-8">
      <header className="space-y-2">
        <h1 className="text-3xl font-bold text-fg">Models</h1>
        <p className="text-fg-muted">
          Every model registered on the Compute Node contracts on {network.label}, with the providers currently bidding to serve
          it. Prices are what a session costs per hour of its duration.
        </p>
      </header>

      {models.length === 0 ? (
        <p className="rounded-xl border border-line bg-panel p-6 text-fg-muted">No models are registered on {network.label} yet.</p>
      ) : (
        <ul className="space-y-6">
          {models.map((model) => (
            <li key={model.modelId} className="rounded-xl border border-line bg-panel p-6" data-testid="model-card">
              <div className="flex flex-wrap items-baseline justify-between gap-3">
                <h2 className="font-mono text-lg font-semibold text-fg">{model.name}</h2>
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
              <p className="mt-2 break-all font-mono text-xs text-fg-subtle">model id {model.modelId}</p>

              {model.bids.length === 0 ? (
                <p className="mt-4 text-sm text-fg-subtle">No active bids: no provider serves this model right now.</p>
              ) : (
                <table className="mt-4 w-full text-left text-sm">
                  <thead className="text-xs uppercase text-fg-subtle">
                    <tr>
                      <th className="py-2 font-medium">Provider</th>
                      <th className="py-2 font-medium">Endpoint</th>
                      <th className="py-2 text-right font-medium">Price</th>
                    </tr>
                  </thead>
                  <tbody>
                    {model.bids.map((bid) => (
                      <tr key={bid.bidId} className="border-t border-line" data-testid="bid-row">
                        <td className="py-2">
                          <Address value={bid.provider} />
                        </td>
                        <td className="py-2 font-mono text-fg-muted">{bid.providerEndpoint}</td>
                        <td className="py-2 text-right font-medium text-accent">{formatMorPerHour(bid.pricePerSecond)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
