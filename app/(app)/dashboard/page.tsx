import type { Metadata } from "next";
import { Address } from "@/components/address";
import { SignInRequired } from "@/components/wallet/sign-in-required";
import { SignOutButton } from "@/components/wallet/sign-out-button";
import { getWebUser } from "@/lib/auth/web-session";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const user = await getWebUser();
  if (!user) {
    return <SignInRequired title="Sign in to your dashboard" reason="Your dashboard holds your API keys and your usage of the gateway, tied to your wallet address." />;
  }
  return (
    <div className="space-y-8">
      <header className="flex flex-wrap items-end justify-between gap-4">
        <div className="space-y-1">
          <h1 className="text-3xl font-bold text-fg">Dashboard</h1>
          <p className="text-fg-muted" data-testid="signed-in-as">
            Signed in as <span className="break-all font-mono text-fg">{user.address}</span>
          </p>
        </div>
        <SignOutButton />
      </header>
      <section className="rounded-xl border border-line bg-panel p-6 text-sm text-fg-muted" aria-label="Session">
        Your session for <Address value={user.address} /> lasts until{" "}
        <time dateTime={user.sessionExpiresAt.toISOString()}>{user.sessionExpiresAt.toUTCString()}</time>, or until you sign out or switch
        accounts in your wallet.
      </section>
    </div>
  );
}
