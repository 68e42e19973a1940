import type { UsageRow } from "@/lib/usage";
import { formatCount, formatMs, formatTime, shortHex } from "./format";

/** One page of requests: who served each (provider, on-chain session), with explorer links when the network has an explorer. */
export function UsageTable({ rows, explorerUrl }: { rows: UsageRow[]; explorerUrl?: string }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-line bg-panel">
      <table className="w-full min-w-[56rem] text-left text-sm">
        <thead className="whitespace-nowrap text-xs uppercase text-fg-subtle">
          <tr>
            <th className="px-3 py-2 font-medium">Time</th>
            <th className="px-3 py-2 font-medium">Key</th>
            <th className="px-3 py-2 font-medium">Model</th>
            <th className="px-3 py-2 font-medium">Status</th>
            <th className="px-3 py-2 text-right font-medium">Tokens in / out</th>
            <th className="px-3 py-2 text-right font-medium">TTFT</th>
            <th className="px-3 py-2 text-right font-medium">Duration</th>
            <th className="px-3 py-2 font-medium">Provider</th>
            <th className="px-3 py-2 font-medium">Session</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} className="border-t border-line" data-testid="usage-row" data-request-id={row.requestId}>
              <td className="whitespace-nowrap px-3 py-2 text-fg-muted">{formatTime(row.createdAt)}</td>
              <td className="max-w-36 truncate px-3 py-2" title={row.keyName}>
                {row.keyName}
              </td>
              <td className="max-w-44 truncate px-3 py-2 font-mono" title={row.model}>
                {row.model}
              </td>
              <td className="whitespace-nowrap px-3 py-2">
                {row.status === "ok" ? (
                  <span className="text-accent">ok{row.stream ? " · stream" : ""}</span>
                ) : (
                  <span className="text-red-700 dark:text-red-300" title={row.errorCode ?? undefined}>
                    {row.status === "error" ? (row.errorCode ?? "error") : row.status}
                  </span>
                )}
              </td>
              <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums">
                {formatCount(row.promptTokens)} / {formatCount(row.completionTokens)}
              </td>
              <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums">{formatMs(row.ttftMs)}</td>
              <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums">{formatMs(row.durationMs)}</td>
              <td className="whitespace-nowrap px-3 py-2 font-mono" data-testid="usage-provider">
                {row.providerAddress ? <ChainLink value={row.providerAddress} href={explorerUrl && `${explorerUrl}/address/${row.providerAddress}`} /> : "–"}
              </td>
              <td className="whitespace-nowrap px-3 py-2 font-mono" data-testid="usage-session">
                {row.sessionId ? <ChainLink value={row.sessionId} href={explorerUrl && row.sessionOpenTx ? `${explorerUrl}/tx/${row.sessionOpenTx}` : undefined} /> : "–"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ChainLink({ value, href }: { value: string; href?: string }) {
  return href ? (
    <a href={href} title={value} className="text-accent hover:underline" rel="noreferrer" target="_blank">
      {shortHex(value)}
    </a>
  ) : (
    <span title={value}>{shortHex(value)}</span>
  );
}
