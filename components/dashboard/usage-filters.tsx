import Link from "next/link";
import type { UsageKey, UsageQuery } from "@/lib/usage";
import { usageSearchParams } from "@/lib/usage";

const ranges = [
  { value: "24h", label: "24 h" },
  { value: "7d", label: "7 d" },
  { value: "30d", label: "30 d" },
] as const;

const fieldClass =
  "w-full rounded-lg border border-line bg-page px-3 py-2 text-sm text-fg focus-visible:outline-2 focus-visible:outline-brand-500";

/** The usage filters: range links, then a plain GET form (works without JavaScript) for model, key and a custom range. */
export function UsageFilters({ query, keys, models }: { query: UsageQuery; keys: UsageKey[]; models: string[] }) {
  const href = (changes: Partial<UsageQuery>) => `/dashboard/usage?${usageSearchParams({ ...query, page: 1, ...changes }).toString()}`;
  const modelChoices = query.model && !models.includes(query.model) ? [query.model, ...models] : models;
  return (
    <div className="space-y-4 rounded-xl border border-line bg-panel p-4 sm:p-5">
      <nav aria-label="Time range" className="flex flex-wrap items-center gap-2">
        {ranges.map((range) => (
          <Link
            key={range.value}
            href={href({ range: range.value, from: undefined, to: undefined })}
            aria-current={query.range === range.value ? "true" : undefined}
            className={`rounded-lg px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-brand-500 ${
              query.range === range.value ? "bg-brand-500 text-ink-950" : "border border-line text-fg-muted hover:text-fg"
            }`}
          >
            {range.label}
          </Link>
        ))}
        <span className={`rounded-lg px-3 py-1.5 text-sm font-medium ${query.range === "custom" ? "bg-brand-500 text-ink-950" : "text-fg-subtle"}`}>
          {query.range === "custom" ? `${query.from} → ${query.to}` : "or pick dates below"}
        </span>
      </nav>
      <form method="get" action="/dashboard/usage" className="grid gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_1fr_auto_auto_auto] lg:items-end">
        <input type="hidden" name="range" value={query.range === "custom" ? "custom" : query.range} />
        <label className="space-y-1 text-sm">
          <span className="font-medium text-fg">Model</span>
          <select name="model" defaultValue={query.model ?? ""} className={fieldClass}>
            <option value="">All models</option>
            {modelChoices.map((model) => (
              <option key={model} value={model}>
                {model}
              </option>
            ))}
          </select>
        </label>
        <label className="space-y-1 text-sm">
          <span className="font-medium text-fg">Key</span>
          <select name="key" defaultValue={query.key ?? ""} className={fieldClass}>
            <option value="">All keys</option>
            {keys.map((key) => (
              <option key={key.id} value={key.id}>
                {key.kind === "playground" ? "playground" : `${key.name} (${key.prefix}…)${key.revoked ? " – revoked" : ""}`}
              </option>
            ))}
          </select>
        </label>
        <label className="space-y-1 text-sm">
          <span className="font-medium text-fg">From (UTC)</span>
          <input type="date" name="from" defaultValue={query.from} className={fieldClass} />
        </label>
        <label className="space-y-1 text-sm">
          <span className="font-medium text-fg">To (UTC)</span>
          <input type="date" name="to" defaultValue={query.to} className={fieldClass} />
        </label>
        <button
          type="submit"
          className="rounded-lg border border-line px-4 py-2 text-sm font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500"
        >
          Apply
        </button>
      </form>
    </div>
  );
}
