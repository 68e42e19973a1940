import type { Metadata } from "next";
import { headers } from "next/headers";
import { Playground, type ModelOption } from "@/components/chat/playground";
import { SignInRequired } from "@/components/wallet/sign-in-required";
import { listApiKeys, type ApiKeySummary } from "@/lib/auth";
import { siteOrigin } from "@/lib/auth/origin";
import { getWebUser } from "@/lib/auth/web-session";
import type { ModelOffer } from "@/lib/chain/catalog";
import { db } from "@/lib/db";
import { modelCatalog } from "@/lib/gateway";
import { getConversation, listConversations } from "@/lib/playground";
import { describeError } from "@/lib/redact";

export const metadata: Metadata = { title: "Playground" };
export const dynamic = "force-dynamic";

/** The catalog as the picker offers it: the API id /api/v1 takes (the name, or the model id when names collide). */
function modelOptions(models: ModelOffer[]): ModelOption[] {
  const names = new Map<string, number>();
  for (const m of models) names.set(m.name, (names.get(m.name) ?? 0) + 1);
  return models.map((m) => ({
    id: names.get(m.name) === 1 && m.name.trim() !== "" ? m.name : m.modelId,
    name: m.name || m.modelId,
    providers: m.bids.length,
  }));
}

/** The newest key that still works: "View code" names it (never its secret, which is not stored). */
function usableKey(keys: ApiKeySummary[], now = new Date()): ApiKeySummary | undefined {
  return keys.find((k) => !k.revokedAt && (!k.expiresAt || k.expiresAt > now));
}

export default async function PlaygroundPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getWebUser();
  if (!user) {
    return <SignInRequired title="Sign in to use the playground" reason="The playground chats with the marketplace's models on your behalf, so it needs to know who you are." />;
  }
  const requested = (await searchParams).c;
  const [catalog, conversations, keys, opened, requestHeaders] = await Promise.all([
    modelCatalog().then(modelOptions, (error: unknown) => {
      console.error(`playground: model catalog unavailable: ${describeError(error)}`);
      return null;
    }),
    listConversations(db(), user.id),
    listApiKeys(db(), { owner: user.address }),
    typeof requested === "string" ? getConversation(db(), user.id, requested) : null,
    headers(),
  ]);
  const key = usableKey(keys);
  const apiBase = `${siteOrigin(new Request("http://internal.invalid/", { headers: requestHeaders }))}/api/v1`;
  return (
    <Playground
      models={catalog}
      initialConversations={conversations.map((c) => ({ ...c, updatedAt: c.updatedAt.toISOString() }))}
      initialConversation={opened ? { id: opened.id, title: opened.title, settings: opened.settings, messages: opened.messages } : null}
      keyHint={key ? { name: key.name, prefix: key.prefix } : null}
      apiBase={apiBase}
    />
  );
}
