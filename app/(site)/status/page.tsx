import type { Metadata } from "next";
import Link from "next/link";
import { Address } from "@/components/address";
import { formatAge } from "@/components/network-status-summary";
import { activeNetwork } from "@/lib/chain/config";
import { formatMor } from "@/lib/chain/format";
import { PINGER_DEFAULTS, readNetworkStatus, type PoolState } from "@/lib/gateway";

export const metadata: Metadata = { title: "Network status" };
export const dynamic = "force-dynamic";

const providerColumns = "md:grid-cols-[minmax(7rem,1fr)_minmax(9rem,1.2fr)_minmax(10rem,2fr)_5rem_8rem]";
const poolColumns = "md:grid-cols-[minmax(10rem,2fr)_repeat(6,minmax(3.5rem,1fr))_minmax(7rem,1fr)]";
const poolStates: PoolState[] = ["opening", "idle", "busy", "closing", "closed", "failed"];

function Unavailable({ message }: { message: string }) {
  return (
    <p role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-4 text-sm text-red-800 dark:text-red-200">
      {message}
    </p>
  );
}

export default async function StatusPage() {
  const network = activeNetwork();
  const status = await readNetworkStatus();
  const round = status.providers.ok ? status.providers.value : undefined;

  return (
    <div className="space-y-10">
      <header className="space-y-2">
        <h1 className="text-3xl font-bold text-fg">Network status</h1>
        <p className="text-fg-muted">
          The marketplace on {network.label} as this gateway sees it. Providers are pinged over MOR-RPC by the server every{" "}
          {PINGER_DEFAULTS.intervalMs / 1000} s (a ping gets {PINGER_DEFAULTS.deadlineMs / 1000} s to answer), not on each visit.
        </p>
      </header>

      <section aria-labelledby="chain-head" className="space-y-3">
        <h2 id="chain-head" className="text-xl font-semibold text-fg">
          Chain head
        </h2>
        {status.head.ok ? (
          <p className="rounded-xl border border-line bg-panel p-4 text-sm" data-testid="chain-head">
            Block <span className="font-mono text-fg">{status.head.value.blockNumber.toString()}</span>, mined{" "}
            {formatAge(status.head.value.ageSeconds)} ({new Date(Number(status.head.value.timestamp) * 1000).toISOString().replace(".000Z", "Z")}) · chain id{" "}
            {network.chain.id}
          </p>
        ) : (
          <Unavailable message={`The ${network.label} node cannot be reached: ${status.head.message}`} />
        )}
      </section>

      <section aria-labelledby="providers" className="space-y-3">
        <h2 id="providers" className="text-xl font-semibold text-fg">
          Providers
        </h2>
        {!status.providers.ok ? (
          <Unavailable message={status.providers.message} />
        ) : round === undefined ? (
          <p className="rounded-xl border border-line bg-panel p-4 text-sm text-fg-muted">The first check is under way; reload in a few seconds.</p>
        ) : (
          <>
            {round.error && (
              <Unavailable
                message={`The last check could not run: ${round.error}.${round.providers.length > 0 ? " Shown: the check before it." : ""}`}
              />
            )}
            {round.providers.length === 0 ? (
              round.error ? null : (
                <p className="rounded-xl border border-line bg-panel p-4 text-sm text-fg-muted">
                  No provider bids on any model, so there is nobody to ping. <Link href="/models" className="text-accent hover:underline">See the catalog</Link>.
                </p>
              )
            ) : (
              <div role="table" aria-label="Providers" className="rounded-xl border border-line bg-panel px-4 text-sm">
                <div role="row" className={`hidden gap-x-4 border-b border-line py-2 text-xs font-medium uppercase text-fg-subtle md:grid ${providerColumns}`}>
                  <span role="columnheader">Provider</span>
                  <span role="columnheader">Endpoint</span>
                  <span role="columnheader">Status</span>
                  <span role="columnheader" className="text-right">
                    Latency
                  </span>
                  <span role="columnheader" className="text-right">
                    Checked
                  </span>
                </div>
                {round.providers.map((p) => (
                  <div
                    role="row"
                    key={`${p.provider} ${p.endpoint}`}
                    data-testid="provider-status"
                    className={`grid grid-cols-2 gap-x-4 gap-y-1 border-b border-line py-3 last:border-b-0 md:items-center md:py-2 ${providerColumns}`}
                  >
                    <span role="cell">
                      <Address value={p.provider} />
                    </span>
                    <span role="cell" className="break-all text-right font-mono text-fg-muted md:text-left">
                      {p.endpoint}
                    </span>
                    <span role="cell" className="col-span-2 md:col-span-1">
                      {p.up ? (
                        <span className="text-accent">up{p.version ? ` · ${p.version}` : ""}</span>
                      ) : p.skipped ? (
                        <span className="text-fg-subtle">not checked: {p.skipped}</span>
                      ) : (
                        <span className="break-words text-red-700 dark:text-red-300" title={p.error}>
                          down{p.error ? `: ${p.error.slice(0, 120)}` : ""}
                        </span>
                      )}
                    </span>
                    <span role="cell" className="tabular-nums md:text-right" data-testid="provider-latency">
                      {p.up && p.latencyMs !== undefined ? `${Math.max(1, Math.round(p.latencyMs))} ms` : "—"}
                    </span>
                    <span role="cell" className="text-right text-fg-subtle">
                      <span className="md:hidden">checked </span>
                      {formatAge(Math.max(0, Math.round((status.readAt.getTime() - p.checkedAt.getTime()) / 1000)))}
                    </span>
                  </div>
                ))}
              </div>
            )}
          </>
        )}
      </section>

      <section aria-labelledby="pool" className="space-y-3">
        <h2 id="pool" className="text-xl font-semibold text-fg">
          Gateway session pool
        </h2>
        {!status.pool.ok ? (
          <Unavailable message={status.pool.message} />
        ) : (
          <>
            <dl className="grid grid-cols-2 gap-3 text-sm lg:grid-cols-4" data-testid="pool-totals">
              {[
                ["Sessions open", String(status.pool.value.openSessions)],
                ["MOR staked in open sessions", formatMor(status.pool.value.staked)],
                ["MOR on hold", status.pool.value.onHold === undefined ? "—" : formatMor(status.pool.value.onHold)],
                ["MOR withdrawable now", status.pool.value.withdrawable === undefined ? "—" : formatMor(status.pool.value.withdrawable)],
              ].map(([label, value]) => (
                <div key={label} className="rounded-xl border border-line bg-panel p-4">
                  <dt className="text-fg-subtle">{label}</dt>
                  <dd className="mt-1 text-lg font-semibold text-fg">{value}</dd>
                </div>
              ))}
            </dl>
            <p className="text-sm text-fg-muted">
              {status.pool.value.wallet ? (
                <>
                  Gateway wallet <Address value={status.pool.value.wallet} />. {status.pool.value.walletError}
                </>
              ) : (
                "This server has no gateway wallet (GATEWAY_PRIVATE_KEY), so it opens no sessions."
              )}
            </p>
            {status.pool.value.models.length === 0 ? (
              <p className="rounded-xl border border-line bg-panel p-4 text-sm text-fg-muted">
                The gateway has not opened a session yet: its first API request for a model opens one.
              </p>
            ) : (
              <div role="table" aria-label="Sessions per model and state" className="rounded-xl border border-line bg-panel px-4 text-sm">
                <div role="row" className={`hidden gap-x-3 border-b border-line py-2 text-xs font-medium uppercase text-fg-subtle md:grid ${poolColumns}`}>
                  <span role="columnheader">Model</span>
                  {poolStates.map((s) => (
                    <span role="columnheader" key={s} className="text-right">
                      {s}
                    </span>
                  ))}
                  <span role="columnheader" className="text-right">
                    Staked
                  </span>
                </div>
                {status.pool.value.models.map((m) => (
                  <div
                    role="row"
                    key={m.modelId}
                    data-testid="pool-model"
                    className={`grid grid-cols-3 gap-x-3 gap-y-1 border-b border-line py-3 last:border-b-0 md:items-center md:py-2 ${poolColumns}`}
                  >
                    <span role="cell" className="col-span-3 font-mono md:col-span-1">
                      <Link href={`/models/${m.modelId}`} className="hover:text-accent hover:underline">
                        {m.name ?? `${m.modelId.slice(0, 10)}…`}
                      </Link>
                    </span>
                    {poolStates.map((s) => (
                      <span role="cell" key={s} className="flex justify-between gap-2 tabular-nums md:block md:text-right">
                        <span className="text-fg-subtle md:hidden">{s}</span>
                        {m.sessions[s] ?? 0}
                      </span>
                    ))}
                    <span role="cell" className="col-span-3 flex justify-between gap-2 md:col-span-1 md:block md:text-right">
                      <span className="text-fg-subtle md:hidden">staked</span>
                      {formatMor(m.staked)}
                    </span>
                  </div>
                ))}
              </div>
            )}
          </>
        )}
      </section>
    </div>
  );
}
