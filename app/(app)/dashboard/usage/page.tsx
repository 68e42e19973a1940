import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { DashboardHeader } from "@/components/dashboard/dashboard-header";
import { DashboardSkeleton } from "@/components/dashboard/dashboard-skeleton";
import { formatCount, formatMs } from "@/components/dashboard/format";
import { UsageCharts, type ChartBucket } from "@/components/dashboard/usage-charts";
import { UsageFilters } from "@/components/dashboard/usage-filters";
import { UsageTable } from "@/components/dashboard/usage-table";
import { SignInRequired } from "@/components/wallet/sign-in-required";
import { getWebUser } from "@/lib/auth/web-session";
import { activeNetwork } from "@/lib/chain/config";
import { db } from "@/lib/db";
import {
  countUsageRows,
  isUserKey,
  listUsageRows,
  maxCsvRows,
  parseUsageQuery,
  usageByKey,
  usageByModel,
  usageKeys,
  usageModels,
  usagePageSize,
  usageSearchParams,
  usageSeries,
  usageTotals,
  usageWindow,
  type UsageGroup,
  type UsageQuery,
} from "@/lib/usage";

export const metadata: Metadata = { title: "Usage · Dashboard" };

export default async function UsagePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getWebUser();
  if (!user) {
    return <SignInRequired title="Sign in to your dashboard" reason="Your dashboard holds your API keys and your usage of the gateway, tied to your wallet address." />;
  }
  const parsed = parseUsageQuery(await searchParams);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return (
      <div className="space-y-8">
        <DashboardHeader address={user.address} current="/dashboard/usage" />
        <div role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
          <h2 className="mb-2 text-lg font-semibold">These filters cannot be used</h2>
          <p>
            {issue?.path.join(".") || "filters"}: {issue?.message}.{" "}
            <Link href="/dashboard/usage" className="underline">
              Show the last 7 days
            </Link>
          </p>
        </div>
      </div>
    );
  }
  const query = parsed.data;
  // Another wallet's key id reads as a key that does not exist.
  if (query.key && !(await isUserKey(db(), user.id, query.key))) notFound();
  return (
    <div className="space-y-8">
      <DashboardHeader address={user.address} current="/dashboard/usage" />
      <Suspense fallback={<DashboardSkeleton />}>
        <UsageData userId={user.id} query={query} />
      </Suspense>
    </div>
  );
}

/** Everything the filters select: read in SQL, streamed in below the header. */
async function UsageData({ userId, query }: { userId: string; query: UsageQuery }) {
  const window = usageWindow(query);
  const store = db();
  const [keys, models, totals, series, byModel, byKey, total, rows] = await Promise.all([
    usageKeys(store, userId),
    usageModels(store, userId, window),
    usageTotals(store, userId, window),
    usageSeries(store, userId, window),
    usageByModel(store, userId, window),
    usageByKey(store, userId, window),
    countUsageRows(store, userId, window),
    listUsageRows(store, userId, window, { offset: (query.page - 1) * usagePageSize, limit: usagePageSize }),
  ]);
  const pages = Math.max(1, Math.ceil(total / usagePageSize));
  const buckets: ChartBucket[] = series.map((b) => ({ ...b, at: b.at.toISOString(), ok: b.requests - b.errors }));
  const exportHref = `/api/usage/export?${usageSearchParams({ ...query, page: 1 }).toString()}`;
  const pageHref = (page: number) => `/dashboard/usage?${usageSearchParams({ ...query, page }).toString()}`;
  const explorerUrl = activeNetwork().explorerUrl;

  return (
    <>
      <UsageFilters query={query} keys={keys} models={models} />
      {totals.requests === 0 ? (
        <div className="rounded-xl border border-dashed border-line p-8 text-center" data-testid="no-usage">
          <p className="font-medium text-fg">No requests in this range</p>
          <p className="mt-1 text-sm text-fg-muted">
            {keys.length === 0 ? (
              <>
                Requests made with your API keys or the playground show up here within seconds.{" "}
                <Link href="/dashboard?new-key" className="text-accent underline">
                  Create an API key
                </Link>{" "}
                to start.
              </>
            ) : (
              "Requests made with your API keys or the playground show up here within seconds. Try a longer range or other filters."
            )}
          </p>
        </div>
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Totals">
            <Total label="Requests" value={formatCount(totals.requests)} />
            <Total label="Errors" value={`${formatCount(totals.errors)} (${((100 * totals.errors) / totals.requests).toFixed(1)} %)`} />
            <Total label="Tokens in / out" value={`${formatCount(totals.promptTokens)} / ${formatCount(totals.completionTokens)}`} />
            <Total label="Avg TTFT / duration" value={`${formatMs(totals.avgTtftMs)} / ${formatMs(totals.avgDurationMs)}`} />
          </dl>
          <UsageCharts buckets={buckets} bucketSeconds={window.bucketSeconds} />
          <div className="grid gap-4 lg:grid-cols-2">
            <Breakdown title="By model" groups={byModel} />
            <Breakdown title="By key" groups={byKey} />
          </div>
          <section aria-labelledby="requests-title" className="space-y-3">
            <div className="flex flex-wrap items-center justify-between gap-3">
              <h2 id="requests-title" className="text-xl font-semibold text-fg">
                Requests
              </h2>
              <a
                href={exportHref}
                download
                className="rounded-lg border border-line px-4 py-2 text-sm font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500"
              >
                Export CSV{total > maxCsvRows ? ` (newest ${formatCount(maxCsvRows)})` : ""}
              </a>
            </div>
            <UsageTable rows={rows} explorerUrl={explorerUrl} />
            <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-3 text-sm text-fg-muted">
              <span>
                {formatCount(total)} request{total === 1 ? "" : "s"} · page {Math.min(query.page, pages)} of {pages}
              </span>
              <span className="flex gap-2">
                {query.page > 1 && <PageLink href={pageHref(query.page - 1)}>Newer</PageLink>}
                {query.page < pages && query.page < 400 && <PageLink href={pageHref(query.page + 1)}>Older</PageLink>}
              </span>
            </nav>
          </section>
        </>
      )}
    </>
  );
}

function Total({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-xl border border-line bg-panel p-4">
      <dt className="text-xs uppercase tracking-wide text-fg-subtle">{label}</dt>
      <dd className="mt-1 text-lg font-semibold text-fg tabular-nums">{value}</dd>
    </div>
  );
}

function Breakdown({ title, groups }: { title: string; groups: UsageGroup[] }) {
  const most = Math.max(1, ...groups.map((g) => g.requests));
  return (
    <section className="rounded-xl border border-line bg-panel p-4" aria-label={title}>
      <h2 className="mb-3 font-semibold text-fg">{title}</h2>
      <ul className="space-y-2">
        {groups.map((group) => (
          <li key={group.id} className="space-y-1">
            <div className="flex items-baseline justify-between gap-3 text-sm">
              <span className="min-w-0 truncate font-mono text-fg-soft" title={group.label}>
                {group.label}
              </span>
              <span className="shrink-0 text-fg-muted tabular-nums">
                {formatCount(group.requests)} req · {formatCount(group.tokens)} tok{group.errors ? ` · ${formatCount(group.errors)} err` : ""}
              </span>
            </div>
            <div className="h-1.5 rounded-full bg-chip" aria-hidden>
              <div className="h-1.5 rounded-full bg-brand-500" style={{ width: `${(100 * group.requests) / most}%` }} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function PageLink({ href, children }: { href: string; children: React.ReactNode }) {
  return (
    <Link href={href} className="rounded-lg border border-line px-3 py-1.5 font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500">
      {children}
    </Link>
  );
}
