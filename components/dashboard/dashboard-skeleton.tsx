/**
 * While a dashboard page's data loads (keys, usage aggregates): the pages wrap their data in
 * <Suspense> with this, below the header, after the checks that answer 404 (a route-wide
 * loading.tsx would start the response before them, and a 404 would go out as 200).
 */
export function DashboardSkeleton() {
  return (
    <div className="space-y-6" role="status" aria-live="polite">
      <span className="sr-only">Loading your dashboard…</span>
      <div className="h-10 w-full animate-pulse rounded-lg bg-chip" />
      <div className="grid gap-4 lg:grid-cols-3">
        {[0, 1, 2].map((i) => (
          <div key={i} className="h-64 animate-pulse rounded-xl bg-chip" />
        ))}
      </div>
    </div>
  );
}
