"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState } from "react";

/** Revokes a key after a confirmation in a modal dialog (Escape or Cancel closes it). */
export function RevokeKeyButton({ keyId, name, prefix }: { keyId: string; name: string; prefix: string }) {
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(`/api/keys/${encodeURIComponent(keyId)}`, { method: "DELETE", signal: AbortSignal.timeout(20_000) });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
        setError(body?.error?.message ?? `The key could not be revoked (HTTP ${response.status}).`);
        return;
      }
      dialog.current?.close();
      router.refresh();
    } catch {
      setError("The request failed; check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button
        type="button"
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
        aria-label={`Revoke ${name}`}
        className="rounded-lg border border-line px-3 py-1.5 text-sm font-medium text-fg hover:border-red-500 hover:text-red-700 focus-visible:outline-2 focus-visible:outline-brand-500 dark:hover:text-red-300"
      >
        Revoke
      </button>
      <dialog
        ref={dialog}
        aria-labelledby={`${id}-title`}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-line bg-panel p-6 text-fg-soft shadow-xl backdrop:bg-black/50"
      >
        <h2 id={`${id}-title`} className="mb-2 text-lg font-semibold text-fg">
          Revoke “{name}”?
        </h2>
        <p className="text-sm text-fg-muted">
          Requests with <span className="font-mono">{prefix}…</span> are refused from now on on every gateway within seconds. This cannot be undone.
        </p>
        {error && (
          <p role="alert" className="mt-3 rounded-lg border border-red-500/40 bg-red-500/10 px-3 py-2 text-sm text-red-800 dark:text-red-200">
            {error}
          </p>
        )}
        <div className="mt-5 flex justify-end gap-3">
          <button
            type="button"
            onClick={() => dialog.current?.close()}
            className="rounded-lg border border-line px-4 py-2 text-sm font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500"
          >
            Cancel
          </button>
          <button
            type="button"
            onClick={() => void revoke()}
            disabled={busy}
            className="rounded-lg bg-red-600 px-4 py-2 text-sm font-medium text-white hover:bg-red-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-500 disabled:opacity-60"
          >
            {busy ? "Revoking…" : "Revoke key"}
          </button>
        </div>
      </dialog>
    </>
  );
}
