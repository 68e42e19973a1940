import type { Metadata } from "next";
import Link from "next/link";
import { SignInRequired } from "@/components/wallet/sign-in-required";
import { getWebUser } from "@/lib/auth/web-session";

export const metadata: Metadata = { title: "Provider" };

export default async function ProviderPage() {
  const user = await getWebUser();
  if (!user) {
    return <SignInRequired title="Sign in as a provider" reason="Providers register, stake MOR, list models and post bids with their wallet." />;
  }
  return (
    <div className="space-y-4">
      <h1 className="text-3xl font-bold text-fg">Provider</h1>
      <p className="max-w-2xl text-fg-muted">
        Managing a provider from the browser is not open yet. Today a provider registers, lists models and posts bids with{" "}
        <code className="text-accent">npm run provider</code> (see the README), and its bids appear on the{" "}
        <Link href="/models" className="text-accent underline-offset-4 hover:underline">
          models page
        </Link>
        .
      </p>
    </div>
  );
}
