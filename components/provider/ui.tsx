"use client";

// Small form and layout pieces of the provider pages, in the site's colours.
import { useState, type ReactNode } from "react";

export const inputClass =
  "w-full min-w-0 rounded-lg border border-line bg-page px-3 py-2 text-sm text-fg placeholder:text-fg-subtle focus:border-accent focus:outline-none disabled:opacity-60";
export const primaryButtonClass = "rounded-lg bg-brand-500 px-4 py-2 text-sm font-medium text-ink-950 hover:bg-brand-400 disabled:opacity-60";
export const secondaryButtonClass = "rounded-lg border border-line px-3 py-1.5 text-sm text-fg-soft hover:bg-chip disabled:opacity-60";
export const dangerButtonClass =
  "rounded-lg border border-red-500/50 px-3 py-1.5 text-sm text-red-700 hover:bg-red-500/10 disabled:opacity-60 dark:text-red-300";

export function Panel({ title, description, children, id }: { title: string; description?: ReactNode; children: ReactNode; id: string }) {
  return (
    <section aria-labelledby={id} className="space-y-4 rounded-xl border border-line bg-panel p-4 sm:p-6">
      <header className="space-y-1">
        <h2 id={id} className="text-lg font-semibold text-fg">
          {title}
        </h2>
        {description && <div className="text-sm text-fg-muted">{description}</div>}
      </header>
      {children}
    </section>
  );
}

export function Field({ label, hint, children }: { label: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="block space-y-1 text-sm">
      <span className="font-medium text-fg-soft">{label}</span>
      {children}
      {hint && <span className="block text-xs text-fg-subtle">{hint}</span>}
    </label>
  );
}

/** A term and its value, for records (provider, model, totals). */
export function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-fg-subtle">{term}</dt>
      <dd className="break-words text-sm text-fg">{children}</dd>
    </div>
  );
}

/** A value with a copy button (a refused clipboard says so). */
export function CopyValue({ value, label }: { value: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      setState("failed");
    }
    setTimeout(() => setState("idle"), 2000);
  };
  return (
    <span className="flex min-w-0 items-start gap-2">
      <code className="min-w-0 break-all font-mono text-xs text-fg-soft">{value}</code>
      <button type="button" onClick={copy} aria-label={`Copy ${label}`} className="shrink-0 rounded px-1.5 py-0.5 text-xs text-accent hover:bg-chip">
        {state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : "Copy"}
      </button>
    </span>
  );
}

export function formatTimestamp(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
