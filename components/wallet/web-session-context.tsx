"use client";

import { createContext, useContext } from "react";

export interface WebSessionState {
  /** "loading" only while a sign-in is being verified. */
  status: "authenticated" | "unauthenticated" | "loading";
  /** The signed-in address (checksummed), or null. */
  address: `0x${string}` | null;
  /** Ends the session server-side, disconnects the wallet and refreshes the page's server data. */
  signOut(): Promise<void>;
}

export const WebSessionContext = createContext<WebSessionState | null>(null);

/** The web session as the app pages' client components see it (inside WalletProviders). */
export function useWebSession(): WebSessionState {
  const value = useContext(WebSessionContext);
  if (!value) throw new Error("useWebSession must be used inside <WalletProviders> (the app/(app) layout)");
  return value;
}
