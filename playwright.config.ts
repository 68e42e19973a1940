import { defineConfig, devices } from "@playwright/test";
import { findChromium } from "./e2e/support/chromium";

// The e2e suite runs the real `npm start` (anvil, contracts, embedded Postgres, Next.js) on its own
// ports and data directory, so it never touches a developer's running marketplace. E2E_PORT_BASE
// moves every port at once (two checkouts on one machine).
const base = Number(process.env.E2E_PORT_BASE ?? 3100);
const port = base;

export default defineConfig({
  testDir: "e2e",
  timeout: 30_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: `http://localhost:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: findChromium(),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: "rm -rf .data/e2e && npx tsx scripts/start.ts",
    url: `http://localhost:${port}/`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: {
      PORT: String(port),
      ANVIL_PORT: String(base + 5545),
      PGLITE_PORT: String(base + 51329),
      PROVIDER_LISTEN_ADDRESS: `127.0.0.1:${base + 333}`,
      DEMO_MODEL_PORT: String(base + 334),
      DATA_DIR: ".data/e2e",
      CHAIN: "local",
      RPC_URL: "",
      DATABASE_URL: "",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  },
});
