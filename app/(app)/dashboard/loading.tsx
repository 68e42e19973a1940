/** While the dashboard's data loads (keys, usage aggregates). */
export default function DashboardLoading() {
  return (
    <div className="space-y-6" role="status" aria-live="polite">
      <span className="sr-only">Loading your dashboard…</span>
      <div className="h-9 w-48 animate-pulse rounded-lg bg-chip" />
      <div className="h-5 w-80 max-w-full animate-pulse rounded bg-chip" />
      <div className="h-10 w-full animate-pulse rounded-lg bg-chip" />
      <div className="grid gap-4 lg:grid-cols-3">
        {[0, 1, 2].map((i) => (
          <div key={i} className="h-64 animate-pulse rounded-xl bg-chip" />
        ))}
      </div>
    </div>
  );
}
