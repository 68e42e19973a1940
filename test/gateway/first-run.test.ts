// A new user's first run, in `npm test` too (CI also runs it on a clean clone before anything was
// built): `npm start`, /models shows the demo bid, `npm run keys -- create`, one chat completion,
// Ctrl-C. In the gateway project: the app is built by its global setup first, so npm start reuses it.
import { describe, expect, it } from "vitest";
import { runFirstRun } from "../../scripts/lib/first-run";
import { root } from "../provider/fixture";

describe("first run", () => {
  it("npm start serves the demo model, npm run keys makes a key, the key gets a completion, Ctrl-C stops it all", async () => {
    const lines: string[] = [];
    const result = await runFirstRun({ root, portBase: 3700 + (process.pid % 100) * 10, log: (line) => lines.push(line) });
    expect(result.steps.map((step) => step.name)).toEqual([
      "npm start serves the site",
      "/models lists morpheus-demo-chat at 0.36 MOR/h",
      "npm run keys -- create",
      "one chat completion with the key",
      "Ctrl-C stops everything",
    ]);
    expect(result.reply.length).toBeGreaterThan(0);
  }, 600_000);
});
