"use client";

// The wallet stack of the app pages only (app/(app)/layout.tsx): wagmi > react-query > RainbowKit
// with Sign-In with Ethereum. Config and QueryClient live in useState (one per browser, never
// shared between server requests); the initial state comes from the wagmi cookie so the connected
// wallet survives server rendering; the session state starts from the server's reading of the
// session cookie, so a signed-in visitor is never shown as signed out while the page loads.
import "@rainbow-me/rainbowkit/styles.css";
import {
  RainbowKitAuthenticationProvider,
  RainbowKitProvider,
  createAuthenticationAdapter,
  cssStringFromTheme,
  darkTheme,
  lightTheme,
} from "@rainbow-me/rainbowkit";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { setNonce } from "get-nonce";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { createSiweMessage } from "viem/siwe";
import { WagmiProvider, cookieToInitialState, useConfig, useDisconnect } from "wagmi";
import { watchAccount } from "wagmi/actions";
import type { PublicChainConfig } from "@/lib/chain/public-chain";
import { getConfig, wagmiCookieName } from "./wagmi-config";
import { WebSessionContext, type WebSessionState } from "./web-session-context";

export interface WalletProvidersProps {
  chain: PublicChainConfig;
  walletConnectProjectId?: string;
  /** Only the wagmi cookie's value (never the whole Cookie header: the session cookie is httpOnly). */
  wagmiCookie?: string;
  /** The signed-in address according to the server, or null. */
  sessionAddress: `0x${string}` | null;
  /** This request's CSP nonce (proxy.ts), for the theme style below. */
  nonce?: string;
  children: ReactNode;
}

async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** The EIP-4361 message for this site: the server checks its domain, URI, chain and nonce. */
function signInMessage({ nonce, address, chainId }: { nonce: string; address: `0x${string}`; chainId: number }): string {
  return createSiweMessage({
    domain: window.location.host,
    uri: window.location.origin,
    version: "1",
    chainId,
    address,
    nonce,
    statement: "Sign in to the Morpheus inference portal.",
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + 10 * 60_000),
  });
}

const accent = { accentColor: "#16c47f", accentColorForeground: "#070b0a", borderRadius: "medium" } as const;
const rainbowKitThemeCss = `[data-rk]{${cssStringFromTheme(lightTheme(accent))}}.dark [data-rk]{${cssStringFromTheme(darkTheme(accent), { extends: lightTheme(accent) })}}`;

export function WalletProviders({ chain, walletConnectProjectId, wagmiCookie, sessionAddress, nonce, children }: WalletProvidersProps) {
  const [config] = useState(() => getConfig(chain, walletConnectProjectId));
  const [queryClient] = useState(() => new QueryClient());
  const [initialState] = useState(() => cookieToInitialState(config, wagmiCookie ? `${wagmiCookieName}=${wagmiCookie}` : undefined));
  // RainbowKit's dialog locks scrolling with a <style> element it adds (react-remove-scroll, whose
  // react-style-singleton takes its nonce from get-nonce): under the page's CSP it needs this nonce.
  useEffect(() => {
    if (nonce) setNonce(nonce);
  }, [nonce]);
  return (
    <WagmiProvider config={config} initialState={initialState}>
      <QueryClientProvider client={queryClient}>
        <SessionProviders sessionAddress={sessionAddress} nonce={nonce}>
          {children}
        </SessionProviders>
      </QueryClientProvider>
    </WagmiProvider>
  );
}

function SessionProviders({ sessionAddress, nonce, children }: { sessionAddress: `0x${string}` | null; nonce?: string; children: ReactNode }) {
  const router = useRouter();
  const { disconnectAsync } = useDisconnect();
  const wagmiConfig = useConfig();
  const [address, setAddress] = useState(sessionAddress);
  const [status, setStatus] = useState<WebSessionState["status"]>(sessionAddress ? "authenticated" : "unauthenticated");

  const endSession = useCallback(async () => {
    const response = await postJson("/api/auth/sign-out", {});
    if (!response.ok) console.error(`sign-out failed: ${await errorMessage(response)}`);
    setAddress(null);
    setStatus("unauthenticated");
    router.refresh();
  }, [router]);

  const adapter = useMemo(
    () =>
      createAuthenticationAdapter({
        getNonce: async () => {
          const response = await postJson("/api/auth/nonce", {});
          if (!response.ok) throw new Error(await errorMessage(response));
          return ((await response.json()) as { nonce: string }).nonce;
        },
        createMessage: signInMessage,
        verify: async ({ message, signature }) => {
          setStatus("loading");
          const response = await postJson("/api/auth/verify", { message, signature });
          if (!response.ok) {
            // RainbowKit only shows a generic retry message: keep the server's reason in the console.
            console.error(`sign-in refused: ${await errorMessage(response)}`);
            setStatus("unauthenticated");
            return false;
          }
          setAddress(((await response.json()) as { address: `0x${string}` }).address);
          setStatus("authenticated");
          router.refresh();
          return true;
        },
        signOut: endSession,
      }),
    [endSession, router],
  );

  // Another account in the wallet than the one signed in (e.g. switched while the page was closed,
  // which RainbowKit's accountsChanged handling cannot see): that session ends.
  const ending = useRef(false);
  const signedIn = status === "authenticated" ? address : null;
  useEffect(
    () =>
      watchAccount(wagmiConfig, {
        onChange(account) {
          if (!signedIn || account.status !== "connected" || ending.current) return;
          if (account.address.toLowerCase() === signedIn.toLowerCase()) return;
          ending.current = true;
          void endSession().finally(() => (ending.current = false));
        },
      }),
    [wagmiConfig, signedIn, endSession],
  );

  const session = useMemo<WebSessionState>(
    () => ({
      status,
      address,
      signOut: async () => {
        await endSession();
        await disconnectAsync().catch((error: unknown) => console.error("wallet disconnect failed", error));
      },
    }),
    [status, address, endSession, disconnectAsync],
  );

  return (
    <WebSessionContext.Provider value={session}>
      <RainbowKitAuthenticationProvider adapter={adapter} status={status}>
        <RainbowKitProvider theme={null} modalSize="compact">
          {/* RainbowKit's styles apply inside [data-rk]; its colours follow the site's `dark` class
              (already right in the server render); `contents` keeps the body's flex layout. */}
          <div data-rk="" className="contents">
            <style nonce={nonce} dangerouslySetInnerHTML={{ __html: rainbowKitThemeCss }} />
            {children}
          </div>
        </RainbowKitProvider>
      </RainbowKitAuthenticationProvider>
    </WebSessionContext.Provider>
  );
}
