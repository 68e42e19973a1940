import type { Metadata } from "next";
import type { ReactNode } from "react";
import { ThemeProvider } from "@/components/theme-provider";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Morpheus Inference Marketplace", template: "%s · Morpheus" },
  description:
    "Open-beta portal of the Morpheus decentralized AI marketplace: browse models served by independent providers and call them through an OpenAI-compatible API.",
};

// The header differs by route group: app/(site) pages carry no wallet code, app/(app) pages mount the wallet providers.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // next-themes sets the theme class on <html> before hydration.
    <html lang="en" suppressHydrationWarning>
      <body className="flex min-h-screen flex-col">
        <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
          {children}
        </ThemeProvider>
      </body>
    </html>
  );
}
