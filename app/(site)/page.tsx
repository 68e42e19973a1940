import Link from "next/link";
import { Suspense } from "react";
import { NetworkStatusSummary } from "@/components/network-status-summary";

const steps = [
  {
    title: "Providers list models",
    body: "Anyone with a GPU or an API registers as a provider, stakes MOR, lists the models they serve and posts bids priced per second, all on the Compute Node contracts.",
  },
  {
    title: "A session opens on-chain",
    body: "A consumer picks a bid, the provider signs an approval, and the consumer opens a session that stakes MOR for its duration.",
  },
  {
    title: "Prompts go peer to peer",
    body: "Prompts travel straight to the provider over MOR-RPC, signed by the consumer (in clear, so providers run it behind TLS or a private network); every reply is encrypted to the consumer and signed by the provider.",
  },
  {
    title: "The session closes with a receipt",
    body: "The provider signs a usage receipt; closing the session pays the provider for the time used and returns the rest of the stake.",
  },
];

export default function LandingPage() {
  return (
    <div className="space-y-16">
      <section className="space-y-6 pt-6">
        <h1 className="max-w-3xl text-4xl font-bold tracking-tight text-fg sm:text-5xl">
          Open AI inference, served by a marketplace instead of a single company
        </h1>
        <p className="max-w-2xl text-lg text-fg-muted">
          Morpheus connects people who need AI inference with independent providers who supply it. Prices, stakes and
          sessions live on the Compute Node smart contracts; prompts go straight to the provider over a signed
          peer-to-peer protocol, and answers come back encrypted to you. Don&apos;t want to run a node? Use the gateway with a simple API key and any OpenAI SDK.
        </p>
        <div className="flex gap-4">
          <Link href="/models" className="rounded-lg bg-brand-500 px-5 py-2.5 font-medium text-ink-950 hover:bg-brand-400">
            Browse models
          </Link>
          <Link href="/docs" className="rounded-lg border border-line px-5 py-2.5 font-medium text-fg-soft hover:border-brand-500">
            Use the API
          </Link>
        </div>
        <Suspense fallback={<p className="text-sm text-fg-subtle">Checking the network…</p>}>
          <NetworkStatusSummary />
        </Suspense>
      </section>

      <section aria-labelledby="how-it-works" className="space-y-6">
        <h2 id="how-it-works" className="text-2xl font-semibold text-fg">
          How it works
        </h2>
        <ol className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          {steps.map((step, i) => (
            <li key={step.title} className="rounded-xl border border-line bg-panel p-5">
              <div className="mb-3 flex h-8 w-8 items-center justify-center rounded-full bg-brand-500/15 font-mono text-sm text-accent">
                {i + 1}
              </div>
              <h3 className="mb-2 font-semibold text-fg">{step.title}</h3>
              <p className="text-sm leading-relaxed text-fg-muted">{step.body}</p>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
