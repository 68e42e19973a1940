// Playwright cannot download its own browser here: use the system's (Debian's) chromium.
import fs from "node:fs";

const candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export const chromiumHelp =
  "No Chromium found for the e2e tests. Install Debian's: `sudo apt-get update && sudo apt-get install -y chromium`, " +
  "or point CHROMIUM_PATH at a Chromium/Chrome binary.";

export function findChromium(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  return candidates.find((candidate) => fs.existsSync(candidate));
}
