import { tsImport } from "tsx/esm/api";

// The environment is validated when the config loads, as create-t3-app does: a bad variable fails
// `next build`, `next start` and `next dev` at once, with a message naming it, instead of the first
// request that happens to read it.
const { env } = await tsImport("./lib/env.ts", import.meta.url);
env();

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages that must not be bundled (native / wasm / node: APIs).
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@electric-sql/pglite", "@electric-sql/pglite-socket", "secp256k1"],
};

export default nextConfig;
