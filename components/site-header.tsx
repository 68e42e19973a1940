import Link from "next/link";

const links = [
  { href: "/models", label: "Models" },
  { href: "/docs", label: "API docs" },
];

export function SiteHeader() {
  return (
    <header className="border-b border-line bg-panel/80 backdrop-blur">
      <nav className="mx-auto flex max-w-6xl items-center gap-8 px-6 py-4" aria-label="Main">
        <Link href="/" className="flex items-center gap-2 font-semibold text-fg">
          <span aria-hidden className="inline-block h-3 w-3 rounded-full bg-brand-500" />
          Morpheus <span className="rounded bg-brand-500/15 px-1.5 py-0.5 text-xs font-medium text-accent">open beta</span>
        </Link>
        <ul className="flex gap-6 text-sm">
          {links.map((link) => (
            <li key={link.href}>
              <Link href={link.href} className="text-fg-muted transition hover:text-fg">
                {link.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  );
}
