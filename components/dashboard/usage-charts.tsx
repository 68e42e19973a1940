"use client";

// The usage page's charts (recharts: loaded by /dashboard/usage only). The data arrives already
// aggregated per bucket by SQL; this only draws it.
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount, formatMs } from "./format";

export interface ChartBucket {
  /** ISO time of the bucket start. */
  at: string;
  ok: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  avgTtftMs: number | null;
  p95TtftMs: number | null;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
}

const colors = { ok: "#16c47f", errors: "#ef4444", prompt: "#0ea5e9", completion: "#16c47f", ttft: "#f59e0b", p95: "#a855f7", duration: "#0ea5e9" };
const axis = { stroke: "#8b8b94", fontSize: 12, tickLine: false } as const;
const tooltipStyle = { contentStyle: { background: "var(--panel)", border: "1px solid var(--line)", borderRadius: 8, color: "var(--fg)" }, labelStyle: { color: "var(--fg)" } };

function tickLabel(bucketSeconds: number) {
  return (value: string) => (bucketSeconds < 86_400 ? `${value.slice(5, 10)} ${value.slice(11, 16)}` : value.slice(5, 10));
}

function ChartCard({ title, summary, children }: { title: string; summary: string; children: React.ReactElement }) {
  return (
    <figure className="min-w-0 rounded-xl border border-line bg-panel p-4">
      <figcaption className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <span className="font-semibold text-fg">{title}</span>
        <span className="text-xs text-fg-subtle">{summary}</span>
      </figcaption>
      <div className="h-56 w-full" role="img" aria-label={`${title}: ${summary}`}>
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 320, height: 224 }}>
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export function UsageCharts({ buckets, bucketSeconds }: { buckets: ChartBucket[]; bucketSeconds: number }) {
  const tick = tickLabel(bucketSeconds);
  const requests = buckets.reduce((sum, b) => sum + b.ok + b.errors, 0);
  const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
  const tokens = buckets.reduce((sum, b) => sum + b.promptTokens + b.completionTokens, 0);
  const bucketName = bucketSeconds === 3600 ? "hour" : bucketSeconds === 21_600 ? "6 hours" : "day";
  const label = (value: unknown) => `${String(value).slice(0, 16).replace("T", " ")} UTC`;
  return (
    <div className="grid gap-4 lg:grid-cols-3" data-testid="usage-charts">
      <ChartCard title="Requests" summary={`${formatCount(requests)} · ${formatCount(errors)} errors · per ${bucketName}`}>
        <BarChart data={buckets} margin={{ top: 4, right: 4, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="#8b8b9433" vertical={false} />
          <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
          <YAxis allowDecimals={false} {...axis} />
          <Tooltip labelFormatter={label} {...tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="ok" name="ok" stackId="r" fill={colors.ok} isAnimationActive={false} />
          <Bar dataKey="errors" name="errors" stackId="r" fill={colors.errors} isAnimationActive={false} />
        </BarChart>
      </ChartCard>
      <ChartCard title="Tokens" summary={`${formatCount(tokens)} in and out`}>
        <AreaChart data={buckets} margin={{ top: 4, right: 4, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="#8b8b9433" vertical={false} />
          <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
          <YAxis tickFormatter={(v: number) => formatCount(v)} {...axis} />
          <Tooltip labelFormatter={label} formatter={(v) => formatCount(Number(v))} {...tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Area dataKey="promptTokens" name="prompt" stackId="t" stroke={colors.prompt} fill={colors.prompt} fillOpacity={0.35} isAnimationActive={false} />
          <Area dataKey="completionTokens" name="completion" stackId="t" stroke={colors.completion} fill={colors.completion} fillOpacity={0.35} isAnimationActive={false} />
        </AreaChart>
      </ChartCard>
      <ChartCard title="Latency" summary="time to first token and duration">
        <LineChart data={buckets} margin={{ top: 4, right: 4, bottom: 0, left: -8 }}>
          <CartesianGrid stroke="#8b8b9433" vertical={false} />
          <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
          <YAxis tickFormatter={(v: number) => formatMs(v)} {...axis} />
          <Tooltip labelFormatter={label} formatter={(v) => formatMs(v === null || v === undefined ? null : Number(v))} {...tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line dataKey="avgTtftMs" name="TTFT avg" stroke={colors.ttft} dot={{ r: 2 }} connectNulls isAnimationActive={false} />
          <Line dataKey="p95TtftMs" name="TTFT p95" stroke={colors.p95} dot={{ r: 2 }} connectNulls strokeDasharray="4 3" isAnimationActive={false} />
          <Line dataKey="avgDurationMs" name="duration avg" stroke={colors.duration} dot={{ r: 2 }} connectNulls isAnimationActive={false} />
        </LineChart>
      </ChartCard>
    </div>
  );
}
