"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { NewKeyReveal } from "./new-key-reveal";

export interface ModelChoice {
  /** What the key's allow-list stores and API users pass as `model`. */
  id: string;
  bids: number;
}

const expiryChoices = [
  { value: "never", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "date", label: "On a date…" },
] as const;

/** A date expires at its 00:00 UTC: tomorrow is the earliest that is still in the future. */
function earliestExpiryDate(): string {
  return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
}

const inputClass =
  "w-full rounded-lg border border-line bg-page px-3 py-2 text-sm text-fg placeholder:text-fg-subtle focus-visible:outline-2 focus-visible:outline-brand-500";
const labelClass = "block text-sm font-medium text-fg";

/**
 * Creates an API key (POST /api/keys) and then shows it once. `catalog` is the live model catalog
 * (null when the chain could not be read: the key then allows every model).
 */
export function CreateKeyForm({
  catalog,
  apiBaseUrl,
  defaultRpm,
  defaultTpm,
  openInitially,
  atLimit,
}: {
  catalog: ModelChoice[] | null;
  apiBaseUrl: string;
  defaultRpm: number;
  defaultTpm: number;
  openInitially: boolean;
  atLimit: string | null;
}) {
  const router = useRouter();
  const [open, setOpen] = useState(openInitially);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [expiry, setExpiry] = useState<(typeof expiryChoices)[number]["value"]>("never");
  const [created, setCreated] = useState<{ key: string; name: string; model?: string } | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    if (open) nameRef.current?.focus();
  }, [open]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const models = form.getAll("model").map(String);
    const number = (field: string) => {
      const value = String(form.get(field) ?? "").trim();
      return value === "" ? null : Number(value);
    };
    let expiresAt: string | null = null;
    if (expiry === "date") {
      const day = String(form.get("expiryDate") ?? "");
      if (!day) return setError("Pick the expiry date.");
      expiresAt = new Date(`${day}T00:00:00Z`).toISOString();
    } else if (expiry !== "never") {
      expiresAt = new Date(Date.now() + Number(expiry) * 86_400_000).toISOString();
    }
    setBusy(true);
    setError(null);
    try {
      const response = await fetch("/api/keys", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: form.get("name"), expiresAt, allowedModels: models, rpmLimit: number("rpm"), tpmLimit: number("tpm") }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json().catch(() => null)) as { key?: string; apiKey?: { name: string }; error?: { message?: string } } | null;
      if (!response.ok || !body?.key || !body.apiKey) {
        setError(body?.error?.message ?? `The key could not be created (HTTP ${response.status}).`);
        return;
      }
      setCreated({ key: body.key, name: body.apiKey.name, model: models[0] ?? catalog?.[0]?.id });
      setOpen(false);
      router.refresh();
    } catch (cause) {
      setError(cause instanceof Error && cause.name === "TimeoutError" ? "The server did not answer in time; please try again." : "The request failed; check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return <NewKeyReveal apiKey={created.key} name={created.name} model={created.model} apiBaseUrl={apiBaseUrl} onDone={() => setCreated(null)} />;
  }

  if (!open) {
    return (
      <div className="flex flex-wrap items-center gap-3">
        <button
          type="button"
          onClick={() => setOpen(true)}
          disabled={atLimit !== null}
          className="rounded-lg bg-brand-500 px-4 py-2 text-sm font-medium text-ink-950 hover:bg-brand-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 disabled:opacity-60"
        >
          Create API key
        </button>
        {atLimit && <p className="text-sm text-fg-muted">{atLimit}</p>}
      </div>
    );
  }

  const tomorrow = earliestExpiryDate();
  return (
    <form onSubmit={submit} aria-labelledby={`${id}-title`} className="space-y-5 rounded-xl border border-line bg-panel p-5 sm:p-6">
      <h3 id={`${id}-title`} className="text-lg font-semibold text-fg">
        New API key
      </h3>
      <div className="grid gap-5 sm:grid-cols-2">
        <div className="space-y-1.5">
          <label htmlFor={`${id}-name`} className={labelClass}>
            Name
          </label>
          <input ref={nameRef} id={`${id}-name`} name="name" required maxLength={100} placeholder="e.g. my-app production" className={inputClass} />
        </div>
        <div className="space-y-1.5">
          <label htmlFor={`${id}-expiry`} className={labelClass}>
            Expires
          </label>
          <div className="flex gap-2">
            <select id={`${id}-expiry`} value={expiry} onChange={(e) => setExpiry(e.target.value as typeof expiry)} className={inputClass}>
              {expiryChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
            {expiry === "date" && <input type="date" name="expiryDate" aria-label="Expiry date (UTC)" min={tomorrow} required className={inputClass} />}
          </div>
        </div>
        <div className="space-y-1.5">
          <label htmlFor={`${id}-rpm`} className={labelClass}>
            Requests per minute
          </label>
          <input id={`${id}-rpm`} name="rpm" type="number" min={1} max={2_000_000_000} step={1} placeholder={`default ${defaultRpm.toLocaleString("en-US")}`} className={inputClass} />
        </div>
        <div className="space-y-1.5">
          <label htmlFor={`${id}-tpm`} className={labelClass}>
            Tokens per minute
          </label>
          <input id={`${id}-tpm`} name="tpm" type="number" min={1} max={2_000_000_000} step={1} placeholder={`default ${defaultTpm.toLocaleString("en-US")}`} className={inputClass} />
        </div>
      </div>
      <fieldset className="space-y-2">
        <legend className={labelClass}>Models</legend>
        <p className="text-sm text-fg-muted">Leave all unticked to allow every model, including ones listed later.</p>
        {catalog === null ? (
          <p className="text-sm text-amber-700 dark:text-amber-300">The model catalog cannot be read from the chain right now: this key will allow every model.</p>
        ) : catalog.length === 0 ? (
          <p className="text-sm text-fg-muted">No models are registered yet: this key will allow every model.</p>
        ) : (
          <ul className="grid max-h-56 gap-1 overflow-y-auto rounded-lg border border-line p-2 sm:grid-cols-2">
            {catalog.map((model) => (
              <li key={model.id}>
                <label className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm hover:bg-chip">
                  <input type="checkbox" name="model" value={model.id} className="accent-brand-500" />
                  <span className="min-w-0 truncate font-mono text-fg" title={model.id}>
                    {model.id}
                  </span>
                  <span className="ml-auto shrink-0 text-xs text-fg-subtle">
                    {model.bids} bid{model.bids === 1 ? "" : "s"}
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      {error && (
        <p role="alert" className="rounded-lg border border-red-500/40 bg-red-500/10 px-3 py-2 text-sm text-red-800 dark:text-red-200">
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-3">
        <button
          type="submit"
          disabled={busy}
          className="rounded-lg bg-brand-500 px-4 py-2 text-sm font-medium text-ink-950 hover:bg-brand-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 disabled:opacity-60"
        >
          {busy ? "Creating…" : "Create key"}
        </button>
        <button
          type="button"
          onClick={() => {
            setOpen(false);
            setError(null);
          }}
          className="rounded-lg border border-line px-4 py-2 text-sm font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500"
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
