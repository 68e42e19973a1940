import type { Metadata } from "next";
import Link from "next/link";
import { SignInRequired } from "@/components/wallet/sign-in-required";
import { getWebUser } from "@/lib/auth/web-session";

export const metadata: Metadata = { title: "Playground" };

export default async function PlaygroundPage() {
  const user = await getWebUser();
  if (!user) {
    return <SignInRequired title="Sign in to use the playground" reason="The playground chats with the marketplace's models on your behalf, so it needs to know who you are." />;
  }
  return (
    <div className="space-y-4">
      <h1 className="text-3xl font-bold text-fg">Playground</h1>
      <p className="max-w-2xl text-fg-muted">
        The chat playground is not open yet. Until then, call the models through the OpenAI-compatible API: the{" "}
        <Link href="/docs" className="text-accent underline-offset-4 hover:underline">
          API docs
        </Link>{" "}
        show how.
      </p>
    </div>
  );
}
