import { configDefaults, defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname), "server-only": path.resolve(import.meta.dirname, "test/server-only-stub.ts") } },
  test: {
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most integration tests wait on child processes, sockets and the chain, not the CPU: run a
    // few files at once even on a 2-core machine (vitest's default would be one).
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: { name: "core", include: ["lib/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"], exclude: [...configDefaults.exclude, "test/gateway/**", "test/faults/**"] },
      },
      {
        // The gateway as it runs in production (`next start` processes of the built app): built
        // first, only when stale and only when a gateway test is part of the run. Its files run
        // after the others, one at a time in one process: each keeps both cores busy at times
        // (gateways, chains, providers), so running them together is no faster, and they would
        // slow the other integration tests down. (One process: the Prisma migration engine's WASM
        // cannot be loaded twice in one, as isolated files would.)
        extends: true,
        test: {
          name: "gateway",
          // The fault tests (test/faults) drive the same built app through outages.
          include: ["test/gateway/**/*.test.ts", "test/faults/**/*.test.ts"],
          globalSetup: ["test/gateway/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
          poolOptions: { forks: { singleFork: true, isolate: false } },
        },
      },
    ],
  },
});
