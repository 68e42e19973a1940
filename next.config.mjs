import { tsImport } from "tsx/esm/api";

// The environment is validated when the config loads, as create-t3-app does: a bad variable fails
// `next build`, `next start` and `next dev` at once, with a message naming it, instead of the first
// request that happens to read it.
const { env } = await tsImport("./lib/env.ts", import.meta.url);
const config = env();

// On every page and API response. The CSP restricts what needs no per-request nonce (framing,
// plugins, base URL, form targets); a script-src with nonces needs every page rendered per request.
const securityHeaders = [
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
  // Browsers honour it over HTTPS only, so a local `next start` on http is unaffected.
  ...(config.NODE_ENV === "production" ? [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }] : []),
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
  // Server-only packages that must not be bundled (native / wasm / node: APIs).
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@electric-sql/pglite", "@electric-sql/pglite-socket", "secp256k1"],
};

export default nextConfig;
