import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { ThemeProvider } from "@/components/theme-provider";
import { NONCE_HEADER } from "@/lib/http/content-security-policy";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Morpheus Inference Marketplace", template: "%s · Morpheus" },
  description:
    "Open-beta portal of the Morpheus decentralized AI marketplace: browse models served by independent providers and call them through an OpenAI-compatible API.",
};

// The header differs by route group: app/(site) pages carry no wallet code, app/(app) pages mount the wallet providers.
// Reading the request's CSP nonce (proxy.ts) renders every page per request, as a nonce needs.
export default async function RootLayout({ children }: { children: ReactNode }) {
  const nonce = (await headers()).get(NONCE_HEADER) ?? undefined;
  return (
    // next-themes sets the theme class on <html> before hydration.
    <html lang="en" suppressHydrationWarning>
      <body className="flex min-h-screen flex-col">
        <ThemeProvider nonce={nonce} attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
          {children}
        </ThemeProvider>
      </body>
    </html>
  );
}
