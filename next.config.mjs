/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tsc, strict) before anything is built; repeating it
  // inside every `next build` would add ~45 s to each cold build without checking anything more.
  typescript: { ignoreBuildErrors: true },
  // Server-only packages that must not be bundled (native / wasm / node: APIs).
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@electric-sql/pglite", "@electric-sql/pglite-socket", "secp256k1"],
};

export default nextConfig;
