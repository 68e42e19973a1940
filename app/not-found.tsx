import Link from "next/link";
import { HeaderAccount } from "@/components/header-account";
import { SiteFooter } from "@/components/site-footer";
import { SiteHeader } from "@/components/site-header";

// Any unknown URL: the site's own 404 page (Next.js's built-in one carries an inline style without the CSP nonce).
export default function NotFound() {
  return (
    <>
      <SiteHeader account={<HeaderAccount />} />
      <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-10 sm:px-6">
        <div className="space-y-4 rounded-xl border border-line bg-panel p-6">
          <h1 className="text-xl font-semibold text-fg">Page not found</h1>
          <p className="text-fg-muted">This page could not be found.</p>
          <Link href="/" className="inline-block text-accent hover:underline">
            Back to the start page
          </Link>
        </div>
      </main>
      <SiteFooter />
    </>
  );
}
