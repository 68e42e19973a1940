"use client";

/** The dashboard's error state: its data could not be read (the cause is in the server log, never shown). */
export default function DashboardError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="space-y-3 rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
      <h1 className="text-xl font-semibold">Your dashboard could not be loaded</h1>
      <p>The server could not read your keys or usage right now. Nothing was changed; please try again in a moment.</p>
      <button
        type="button"
        onClick={reset}
        className="rounded-lg border border-red-500/60 px-4 py-2 text-sm font-medium hover:bg-red-500/10 focus-visible:outline-2 focus-visible:outline-red-500"
      >
        Try again
      </button>
    </div>
  );
}
