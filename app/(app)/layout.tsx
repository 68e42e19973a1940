import { cookies, headers } from "next/headers";
import type { ReactNode } from "react";
import { SiteFooter } from "@/components/site-footer";
import { SiteHeader } from "@/components/site-header";
import { WalletButton } from "@/components/wallet/connect-button";
import { wagmiCookieName } from "@/components/wallet/wagmi-config";
import { WalletProviders } from "@/components/wallet/wallet-providers";
import { siteOrigin } from "@/lib/auth/origin";
import { getWebUser } from "@/lib/auth/web-session";
import { publicChainConfig } from "@/lib/chain/public-chain";
import { env } from "@/lib/env";
import { NONCE_HEADER } from "@/lib/http/content-security-policy";

// Pages that need a wallet or a signed-in user (dashboard, playground, provider): the only pages
// that load wagmi, RainbowKit and react-query. What the browser learns about the chain is decided
// here at run time and passed as props (public values only: chain id, name, the same-origin relay).
export default async function AppLayout({ children }: { children: ReactNode }) {
  const [cookieStore, requestHeaders, user] = await Promise.all([cookies(), headers(), getWebUser()]);
  const origin = siteOrigin(new Request("http://internal.invalid/", { headers: requestHeaders }));
  return (
    <WalletProviders
      chain={publicChainConfig(origin)}
      walletConnectProjectId={env().NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID}
      wagmiCookie={cookieStore.get(wagmiCookieName)?.value}
      sessionAddress={user?.address ?? null}
      nonce={requestHeaders.get(NONCE_HEADER) ?? undefined}
    >
      <SiteHeader account={<WalletButton />} />
      <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-10 sm:px-6">{children}</main>
      <SiteFooter />
    </WalletProviders>
  );
}
