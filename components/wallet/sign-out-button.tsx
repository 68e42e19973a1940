"use client";

import { useState } from "react";
import { useWebSession } from "./web-session-context";

/** Ends the web session (server-side) and disconnects the wallet. */
export function SignOutButton() {
  const { signOut } = useWebSession();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      disabled={busy}
      onClick={() => {
        setBusy(true);
        void signOut().finally(() => setBusy(false));
      }}
      className="rounded-lg border border-line px-4 py-2 text-sm font-medium text-fg hover:border-red-500 focus-visible:outline-2 focus-visible:outline-brand-500 disabled:opacity-60"
    >
      {busy ? "Signing out…" : "Sign out"}
    </button>
  );
}
