import Link from "next/link";
import { activeNetwork } from "@/lib/chain/config";

export function SiteFooter() {
  const network = activeNetwork();
  return (
    <footer className="border-t border-line py-6 text-center text-xs text-fg-subtle">
      Morpheus inference marketplace · open beta · contracts on {network.label} (chain id {network.chain.id}) ·{" "}
      <Link href="/status" className="underline-offset-2 hover:underline">
        Network status
      </Link>
    </footer>
  );
}
