import type { ReactNode } from "react";
import { HeaderAccount } from "@/components/header-account";
import { SiteFooter } from "@/components/site-footer";
import { SiteHeader } from "@/components/site-header";

// Pages anyone reads (landing, models, docs): no wallet libraries, the signed-in address comes from the session cookie.
export default function SiteLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <SiteHeader account={<HeaderAccount />} />
      <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-10 sm:px-6">{children}</main>
      <SiteFooter />
    </>
  );
}
