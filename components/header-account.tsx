import Link from "next/link";
import { unstable_rethrow } from "next/navigation";
import { getWebUser, type WebUser } from "@/lib/auth/web-session";
import { ensNameOf } from "@/lib/chain/ens";
import { describeError } from "@/lib/redact";
import { Address } from "./address";

/** The header's account corner on site pages: the signed-in address from the session cookie, or "Sign in". No wallet code. */
export async function HeaderAccount() {
  let user: WebUser | null = null;
  try {
    user = await getWebUser();
  } catch (error) {
    // Next.js's own signals (this page renders per request) are not failures.
    unstable_rethrow(error);
    // The site's pages must not fail because the session store is unreachable: show "Sign in".
    console.error(`header: session lookup failed: ${describeError(error)}`);
  }
  const ensName = user ? await ensNameOf(user.address) : null;
  const className =
    "rounded-lg border border-line px-3 py-1.5 text-sm font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500";
  return user ? (
    <Link href="/dashboard" className={className} aria-label={`Signed in as ${user.address}: open the dashboard`}>
      {ensName ? <span title={user.address}>{ensName}</span> : <Address value={user.address} />}
    </Link>
  ) : (
    <Link href="/dashboard" className={className}>
      Sign in
    </Link>
  );
}
