import Link from "next/link";

const tabs = [
  { href: "/dashboard", label: "API keys" },
  { href: "/dashboard/usage", label: "Usage" },
] as const;

/** The dashboard's two pages, as links (each a server-rendered page with its own URL). */
export function DashboardTabs({ current }: { current: (typeof tabs)[number]["href"] }) {
  return (
    <nav aria-label="Dashboard" className="border-b border-line">
      <ul className="-mb-px flex gap-1">
        {tabs.map((tab) => (
          <li key={tab.href}>
            <Link
              href={tab.href}
              aria-current={tab.href === current ? "page" : undefined}
              className={`inline-block border-b-2 px-4 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-brand-500 ${
                tab.href === current ? "border-brand-500 text-fg" : "border-transparent text-fg-muted hover:text-fg"
              }`}
            >
              {tab.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
