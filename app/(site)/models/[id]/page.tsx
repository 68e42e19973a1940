import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Address } from "@/components/address";
import { ApiSnippets } from "@/components/catalog/api-snippets";
import { bidFigures } from "@/components/catalog/bid-stats";
import { activeNetwork } from "@/lib/chain/config";
import { formatMor } from "@/lib/chain/format";
import { isModelId, latestProviderHealth, readCatalogModel, type CatalogModel } from "@/lib/gateway";
import { describeError } from "@/lib/redact";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  return { title: isModelId(id) ? `Model ${id.slice(0, 10)}…` : "Model not found" };
}

export default async function ModelPage({ params }: Props) {
  const { id } = await params;
  if (!isModelId(id)) notFound();
  const network = activeNetwork();
  let model: CatalogModel | undefined;
  try {
    model = await readCatalogModel(id);
  } catch (error) {
    console.error(`model page: chain read failed: ${describeError(error)}`);
    return (
      <div role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        <h1 className="mb-2 text-xl font-semibold">This model cannot be shown right now</h1>
        <p>The {network.label} node could not be read. Please try again in a moment.</p>
      </div>
    );
  }
  if (!model) notFound();
  const created = new Date(Number(model.createdAt) * 1000);

  return (
    <div className="space-y-10">
      <nav aria-label="Breadcrumb" className="text-sm text-fg-subtle">
        <Link href="/models" className="hover:text-accent hover:underline">
          Models
        </Link>{" "}
        / <span className="text-fg-soft">{model.name || "unnamed model"}</span>
      </nav>

      <header className="space-y-3">
        <h1 className="break-all font-mono text-3xl font-bold text-fg">{model.name || model.modelId}</h1>
        {model.tags.length > 0 && (
          <ul className="flex flex-wrap gap-2" aria-label="Tags">
            {model.tags.map((tag) => (
              <li key={tag} className="rounded-full bg-chip px-2.5 py-0.5 text-xs text-fg-soft">
                {tag}
              </li>
            ))}
          </ul>
        )}
        <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
          <dt className="text-fg-subtle">API id</dt>
          <dd className="break-all font-mono text-fg-soft" data-testid="api-model-id">
            {model.id}
          </dd>
          <dt className="text-fg-subtle">Model id</dt>
          <dd className="break-all font-mono text-fg-soft">{model.modelId}</dd>
          <dt className="text-fg-subtle">Owner</dt>
          <dd>
            <Address value={model.owner} />
          </dd>
          <dt className="text-fg-subtle">Stake</dt>
          <dd>{formatMor(model.stake)}</dd>
          <dt className="text-fg-subtle">Registered</dt>
          <dd>
            <time dateTime={created.toISOString()}>{created.toISOString().slice(0, 10)}</time>
          </dd>
        </dl>
      </header>

      <section aria-labelledby="providers" className="space-y-4">
        <h2 id="providers" className="text-xl font-semibold text-fg">
          Providers bidding on it
        </h2>
        {model.bids.length === 0 ? (
          <p className="rounded-xl border border-line bg-panel p-6 text-fg-muted">
            No active bids: no provider serves this model right now, so the API answers 503 for it until one bids.
          </p>
        ) : (
          <ul className="grid gap-4 md:grid-cols-2 lg:grid-cols-3">
            {model.bids.map((bid, i) => {
              const health = latestProviderHealth(bid.offer.provider, bid.offer.providerEndpoint);
              return (
                <li key={bid.offer.bidId} className="space-y-3 rounded-xl border border-line bg-panel p-5" data-testid="bid-row">
                  <div className="flex items-baseline justify-between gap-2">
                    <Address value={bid.offer.provider} />
                    {i === 0 && bid.score !== undefined && <span className="rounded bg-brand-500/15 px-1.5 py-0.5 text-xs text-accent">best rated</span>}
                  </div>
                  <p className="break-all font-mono text-sm text-fg-muted">{bid.offer.providerEndpoint}</p>
                  <p className="text-sm" data-testid="provider-health">
                    {health === undefined ? (
                      <span className="text-fg-subtle">reachability not checked yet</span>
                    ) : health.up ? (
                      <span className="text-accent">answering · {Math.round(health.latencyMs ?? 0)} ms</span>
                    ) : health.skipped ? (
                      <span className="text-fg-subtle">not checked: {health.skipped}</span>
                    ) : (
                      <span className="text-red-700 dark:text-red-300">not answering</span>
                    )}
                  </p>
                  <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
                    {bidFigures(bid).map((f) => (
                      <div key={f.label} className="contents" title={f.title}>
                        <dt className="text-fg-subtle">{f.label}</dt>
                        <dd className={f.label === "Price" ? "text-right font-medium text-accent" : "text-right tabular-nums"} data-testid={f.testId}>
                          {f.value}
                        </dd>
                      </div>
                    ))}
                  </dl>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section aria-labelledby="use-it" className="space-y-4">
        <h2 id="use-it" className="text-xl font-semibold text-fg">
          Use it
        </h2>
        <div className="flex flex-wrap gap-3">
          <Link
            href={`/playground?model=${encodeURIComponent(model.id)}`}
            className="rounded-lg bg-brand-500 px-5 py-2.5 font-medium text-ink-950 hover:bg-brand-400"
          >
            Try it in the playground
          </Link>
          <a href="#api" className="rounded-lg border border-line px-5 py-2.5 font-medium text-fg-soft hover:border-brand-500">
            Use it from the API
          </a>
        </div>
        <div id="api" className="space-y-3 pt-2">
          <p className="text-sm text-fg-muted">
            With a Morpheus API key (see the <Link href="/docs" className="text-accent hover:underline">API docs</Link>), call it by its API id{" "}
            <code className="text-accent">{model.id}</code>:
          </p>
          <ApiSnippets modelId={model.id} />
        </div>
      </section>
    </div>
  );
}
