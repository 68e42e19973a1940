import { WalletButton } from "./connect-button";

/** What a signed-in-only page shows to a visitor without a session: why, and the button that signs in. */
export function SignInRequired({ title, reason }: { title: string; reason: string }) {
  return (
    <section className="mx-auto max-w-xl space-y-4 rounded-xl border border-line bg-panel p-6 sm:p-8" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" className="text-2xl font-bold text-fg">
        {title}
      </h1>
      <p className="text-fg-muted">{reason}</p>
      <p className="text-sm text-fg-subtle">
        Connect a browser wallet and sign a message to prove you own the address (Sign-In with Ethereum). Signing costs nothing and
        sends no transaction.
      </p>
      <WalletButton />
    </section>
  );
}
