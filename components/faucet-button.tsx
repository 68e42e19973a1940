"use client";

// Test ETH and MOR for a wallet on the local chain (POST /api/faucet). The wallet pages render it
// with the connected address; on any other chain the route answers 404 and this says so.
import { useState } from "react";

type State = { kind: "idle" } | { kind: "sending" } | { kind: "done"; text: string } | { kind: "error"; text: string };

export function FaucetButton({ address, onFunded }: { address: string; onFunded?: () => void }) {
  const [state, setState] = useState<State>({ kind: "idle" });

  const claim = async () => {
    setState({ kind: "sending" });
    try {
      const response = await fetch("/api/faucet", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ address }),
        signal: AbortSignal.timeout(45_000),
      });
      const body = (await response.json().catch(() => ({}))) as { eth?: string; mor?: string; error?: { message?: string } };
      if (response.ok) {
        setState({ kind: "done", text: `Sent ${body.eth} ETH and ${body.mor} MOR.` });
        onFunded?.();
      } else if (response.status === 404) {
        setState({ kind: "error", text: "The faucet exists on the local chain only." });
      } else {
        setState({ kind: "error", text: body.error?.message ?? `The faucet answered ${response.status}.` });
      }
    } catch (error) {
      setState({ kind: "error", text: error instanceof Error && error.name === "TimeoutError" ? "The faucet did not answer in time." : "The faucet could not be reached." });
    }
  };

  return (
    <div className="flex flex-wrap items-center gap-3 text-sm">
      <button
        type="button"
        onClick={claim}
        disabled={state.kind === "sending"}
        className="rounded-lg bg-brand-500 px-4 py-2 font-medium text-ink-950 hover:bg-brand-400 disabled:opacity-60"
      >
        {state.kind === "sending" ? "Sending test funds…" : "Get test ETH and MOR"}
      </button>
      <span role="status" aria-live="polite" className={state.kind === "error" ? "text-red-700 dark:text-red-300" : "text-fg-muted"}>
        {state.kind === "done" || state.kind === "error" ? state.text : ""}
      </span>
    </div>
  );
}
