import Link from "next/link";
import type { ReactNode } from "react";
import { ThemeToggle } from "./theme-toggle";

const links = [
  { href: "/models", label: "Models" },
  { href: "/playground", label: "Playground" },
  { href: "/dashboard", label: "Dashboard" },
  { href: "/provider", label: "Provider" },
  { href: "/docs", label: "Docs" },
];

const linkClass = "rounded-md px-2 py-1 text-fg-muted transition hover:text-fg focus-visible:outline-2 focus-visible:outline-brand-500";

/**
 * The header of every page. `account` is what the right side shows: on site pages the signed-in
 * address read from the session cookie (no wallet code), on app pages RainbowKit's connect button.
 * Below `md` the links fold into a <details> menu: keyboard reachable, no JavaScript needed.
 */
export function SiteHeader({ account }: { account: ReactNode }) {
  return (
    <header className="border-b border-line bg-panel/80 backdrop-blur">
      <div className="mx-auto flex max-w-6xl items-center gap-4 px-4 py-3 sm:px-6">
        <Link href="/" className="flex shrink-0 items-center gap-2 font-semibold text-fg">
          <span aria-hidden className="inline-block h-3 w-3 rounded-full bg-brand-500" />
          Morpheus <span className="hidden rounded bg-brand-500/15 px-1.5 py-0.5 text-xs font-medium text-accent sm:inline">open beta</span>
        </Link>
        <nav aria-label="Main" className="hidden md:block">
          <ul className="flex gap-3 text-sm">
            {links.map((link) => (
              <li key={link.href}>
                <Link href={link.href} className={linkClass}>
                  {link.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="ml-auto flex items-center gap-2">
          {account}
          <ThemeToggle />
          <details className="group relative md:hidden">
            <summary
              aria-label="Menu"
              className="flex cursor-pointer list-none items-center rounded-lg p-2 text-fg-muted hover:bg-chip hover:text-fg focus-visible:outline-2 focus-visible:outline-brand-500 [&::-webkit-details-marker]:hidden"
            >
              <svg aria-hidden viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
                <path d="M4 7h16M4 12h16M4 17h16" className="group-open:hidden" />
                <path d="M6 6l12 12M18 6 6 18" className="hidden group-open:block" />
              </svg>
            </summary>
            <nav aria-label="Main" className="absolute right-0 z-50 mt-2 w-48 rounded-xl border border-line bg-panel p-2 shadow-lg">
              <ul className="flex flex-col text-sm">
                {links.map((link) => (
                  <li key={link.href}>
                    <Link href={link.href} className={`block ${linkClass} py-2`}>
                      {link.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          </details>
        </div>
      </div>
    </header>
  );
}
