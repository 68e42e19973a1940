import { register } from "tsx/esm/api";

// The environment is validated when the config loads, as create-t3-app does: a bad variable fails
// `next build`, `next start` and `next dev` at once, with a message naming it, instead of the first
// request that happens to read it. tsx loads the two TypeScript files and is unregistered at once:
// left registered, it keeps Node's source maps on for the server's lifetime, so every chunk the
// server loads later has its source map parsed and held (tens of MB of heap under `next start`),
// and its loader thread sits in front of every later import.
const sourceMapsEnabled = process.sourceMapsEnabled; // an operator's --enable-source-maps stays as it was
const tsx = register({ namespace: "next-config" });
const { env, assertWebAppEnv } = await tsx.import("./lib/env.ts", import.meta.url);
const { STATIC_CONTENT_SECURITY_POLICY } = await tsx.import("./lib/http/content-security-policy.ts", import.meta.url);
await tsx.unregister();
if (typeof sourceMapsEnabled === "boolean") process.setSourceMapsEnabled(sourceMapsEnabled);
const config = (() => {
  try {
    const parsed = env();
    assertWebAppEnv(parsed);
    return parsed;
  } catch (error) {
    // The reason alone: thrown from here, Node would also print the transpiled module around the throw.
    if (error?.name !== "EnvError") throw error;
    console.error(error.message);
    process.exit(1);
  }
})();

// On every page and API response. Pages get their nonce-based Content-Security-Policy from
// proxy.ts, which replaces this static one (no scripts: framing, plugins, base URL, form targets).
const securityHeaders = [
  { key: "content-security-policy", value: STATIC_CONTENT_SECURITY_POLICY },
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
