import type { Metadata } from "next";
import type { ReactNode } from "react";
import { SiteHeader } from "@/components/site-header";
import { SiteFooter } from "@/components/site-footer";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Morpheus Inference Marketplace", template: "%s · Morpheus" },
  description:
    "Open-beta portal of the Morpheus decentralized AI marketplace: browse models served by independent providers and call them through an OpenAI-compatible API.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="flex min-h-screen flex-col">
        <SiteHeader />
        <main className="mx-auto w-full max-w-6xl flex-1 px-6 py-10">{children}</main>
        <SiteFooter />
      </body>
    </html>
  );
}
