// The Content-Security-Policy of every response. Pages get a strict, nonce-based policy: proxy.ts
// makes a fresh nonce per request, Next.js puts it on its own scripts and inline styles, the root
// layout on next-themes' script and the app layout on RainbowKit's theme style. Everything else
// (API responses, static files) gets the static policy of next.config.mjs: nothing there runs.

/** For responses that are not pages: no framing, no plugins, no foreign base URL or form target. */
export const STATIC_CONTENT_SECURITY_POLICY = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'";

/** The request header carrying the nonce from proxy.ts to the layouts (read with headers()). */
export const NONCE_HEADER = "x-nonce";

// What WalletConnect and Coinbase wallets reach when NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID is set
// (Reown's published CSP guidance): their relay and APIs, wallet logos, the Verify API's frame.
const walletConnect = {
  connect: [
    "https://*.walletconnect.com",
    "https://*.walletconnect.org",
    "wss://relay.walletconnect.com",
    "wss://relay.walletconnect.org",
    "https://api.web3modal.com",
    "https://api.web3modal.org",
    "wss://www.walletlink.org",
    "https://*.coinbase.com",
    "wss://*.coinbase.com",
  ],
  img: ["https://*.walletconnect.com", "https://*.walletconnect.org"],
  frame: ["https://verify.walletconnect.com", "https://verify.walletconnect.org"],
};

export interface PagePolicyOptions {
  nonce: string;
  /** `next dev`: React's dev build needs eval (server error stacks), and dev styles arrive without a nonce. */
  dev: boolean;
  /** NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID is set: the wallet pages contact WalletConnect and Coinbase. */
  walletConnect: boolean;
  /** The site is served over https (APP_ORIGIN): http subresources are upgraded. */
  https: boolean;
}

/** The policy of one page response. */
export function pageContentSecurityPolicy({ nonce, dev, walletConnect: wc, https }: PagePolicyOptions): string {
  const directives = [
    "default-src 'self'",
    // 'strict-dynamic': scripts the nonced Next.js runtime loads (its chunks) are trusted; no host list to bypass.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // A nonce makes browsers ignore 'unsafe-inline', so dev (whose styles are injected without one) gets only the latter.
    `style-src 'self' ${dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    // Server-rendered style="" attributes (chart sizes, bar widths) are not executable; allowing
    // them keeps the layout right before hydration.
    "style-src-attr 'unsafe-inline'",
    ["img-src 'self' data: blob:", ...(wc ? walletConnect.img : [])].join(" "),
    "font-src 'self'",
    ["connect-src 'self'", ...(wc ? walletConnect.connect : [])].join(" "),
    wc ? `frame-src ${walletConnect.frame.join(" ")}` : "frame-src 'none'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/** 128 random bits, base64: unguessable, and fresh for every page request. */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}
