// One line about the network for the landing page: providers answering, the gateway's open
// sessions and the chain head, linking to /status. Server component, read per request.
import Link from "next/link";
import { connection } from "next/server";
import { readNetworkStatus } from "@/lib/gateway";

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

export async function NetworkStatusSummary() {
  await connection(); // live data: never prerendered at build time
  const status = await readNetworkStatus();
  const parts: string[] = [];
  const round = status.providers.ok ? status.providers.value : undefined;
  if (round?.error && round.providers.length === 0) {
    parts.push("providers unknown (catalog unreadable)");
  } else if (round) {
    const checked = round.providers.filter((p) => !p.skipped);
    const up = checked.filter((p) => p.up).length;
    parts.push(`${up} of ${checked.length} provider${checked.length === 1 ? "" : "s"} answering`);
  } else {
    parts.push("providers not checked yet");
  }
  if (status.pool.ok) parts.push(`${status.pool.value.openSessions} gateway session${status.pool.value.openSessions === 1 ? "" : "s"} open`);
  parts.push(status.head.ok ? `block ${status.head.value.blockNumber} (${formatAge(status.head.value.ageSeconds)})` : "chain unreachable");
  const healthy = status.head.ok && round !== undefined && round.providers.some((p) => p.up);
  return (
    <p className="text-sm text-fg-muted" data-testid="network-status-summary">
      <span aria-hidden className={`mr-2 inline-block h-2 w-2 rounded-full align-middle ${healthy ? "bg-brand-500" : "bg-amber-500"}`} />
      Network: {parts.join(" · ")} ·{" "}
      <Link href="/status" className="text-accent hover:underline">
        Status
      </Link>
    </p>
  );
}
