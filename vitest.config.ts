import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname), "server-only": path.resolve(import.meta.dirname, "test/server-only-stub.ts") } },
  test: {
    include: ["lib/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most integration tests wait on child processes, sockets and the chain, not the CPU: run a
    // few files at once even on a 2-core machine (vitest's default would be one).
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
  },
});
