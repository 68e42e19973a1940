import type { Metadata } from "next";
import { headers } from "next/headers";
import { Suspense } from "react";
import { CreateKeyForm, type ModelChoice } from "@/components/dashboard/create-key-form";
import { DashboardHeader } from "@/components/dashboard/dashboard-header";
import { DashboardSkeleton } from "@/components/dashboard/dashboard-skeleton";
import { KeyList } from "@/components/dashboard/key-list";
import { SignInRequired } from "@/components/wallet/sign-in-required";
import { listApiKeys, maxActiveApiKeysPerUser } from "@/lib/auth/api-keys";
import { siteOrigin } from "@/lib/auth/origin";
import { getWebUser } from "@/lib/auth/web-session";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { modelCatalog } from "@/lib/gateway";
import { describeError } from "@/lib/redact";
import { keyUsageSince } from "@/lib/usage";

export const metadata: Metadata = { title: "API keys · Dashboard" };

/** The live catalog as allow-list choices, under the ids API users pass (the name, or the model id when names collide). */
async function modelChoices(): Promise<ModelChoice[] | null> {
  try {
    const offers = await modelCatalog();
    const count = new Map<string, number>();
    for (const m of offers) count.set(m.name, (count.get(m.name) ?? 0) + 1);
    return offers.map((m) => ({ id: count.get(m.name) === 1 && m.name.trim() !== "" ? m.name : m.modelId, bids: m.bids.length }));
  } catch (error) {
    console.error(`dashboard: model catalog unavailable: ${describeError(error)}`);
    return null;
  }
}

/** The time the page is rendered at (expiry states and the 30-day window). */
function renderTime(): number {
  return Date.now();
}

export default async function DashboardPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getWebUser();
  if (!user) {
    return <SignInRequired title="Sign in to your dashboard" reason="Your dashboard holds your API keys and your usage of the gateway, tied to your wallet address." />;
  }
  const params = await searchParams;
  return (
    <div className="space-y-8">
      <DashboardHeader address={user.address} current="/dashboard" />
      <Suspense fallback={<DashboardSkeleton />}>
        <KeysSection userId={user.id} address={user.address} openForm={params["new-key"] !== undefined} />
      </Suspense>
    </div>
  );
}

/** The wallet's keys with their 30-day usage, and the create form (open when the page came from "Get an API key"). */
async function KeysSection({ userId, address, openForm }: { userId: string; address: string; openForm: boolean }) {
  const now = renderTime();
  const [requestHeaders, keys, usage, catalog] = await Promise.all([
    headers(),
    listApiKeys(db(), { owner: address }),
    keyUsageSince(db(), userId, new Date(now - 30 * 86_400_000)),
    modelChoices(),
  ]);
  const apiBaseUrl = `${siteOrigin(new Request("http://internal.invalid/", { headers: requestHeaders }))}/api/v1`;
  const active = keys.filter((k) => !k.revokedAt && (!k.expiresAt || k.expiresAt.getTime() > now)).length;
  const config = env();
  return (
    <section aria-labelledby="keys-title" className="space-y-5">
      <div className="space-y-1">
        <h2 id="keys-title" className="text-xl font-semibold text-fg">
          API keys
        </h2>
        <p className="text-sm text-fg-muted">
          Keys call the OpenAI-compatible gateway at <span className="break-all font-mono text-fg-soft">{apiBaseUrl}</span>. {active} of{" "}
          {maxActiveApiKeysPerUser} active keys in use.
        </p>
      </div>
      <CreateKeyForm
        catalog={catalog}
        apiBaseUrl={apiBaseUrl}
        defaultRpm={config.GATEWAY_DEFAULT_RPM}
        defaultTpm={config.GATEWAY_DEFAULT_TPM}
        openInitially={openForm && active < maxActiveApiKeysPerUser}
        atLimit={active >= maxActiveApiKeysPerUser ? `You have ${maxActiveApiKeysPerUser} active keys, the most a wallet may hold: revoke one to create another.` : null}
      />
      {keys.length === 0 ? (
        <div className="rounded-xl border border-dashed border-line p-6 text-center" data-testid="no-keys">
          <p className="font-medium text-fg">No API keys yet</p>
          <p className="mt-1 text-sm text-fg-muted">Create one to call the gateway with any OpenAI SDK. Its secret is shown once, right after you create it.</p>
        </div>
      ) : (
        <KeyList keys={keys} usage={usage} now={now} />
      )}
    </section>
  );
}
