// CI's first step after `npm install` on a clean clone: a new user's first run must work
// (scripts/lib/first-run.ts). Exits non-zero with the step that failed and the tail of npm start's output.
import path from "node:path";
import { FirstRunError, runFirstRun } from "./lib/first-run";

const root = path.resolve(import.meta.dirname, "..");
const portBase = Number(process.env.FIRST_RUN_PORT_BASE ?? 3200);

try {
  const { steps, reply } = await runFirstRun({ root, portBase });
  for (const { name, ms } of steps) console.log(`[first run] ok  ${name} (${(ms / 1000).toFixed(1)} s)`);
  console.log(`[first run] the demo model answered: ${JSON.stringify(reply.slice(0, 120))}`);
  console.log("[first run] passed: npm install && npm start works on this checkout");
} catch (error) {
  if (error instanceof FirstRunError) {
    console.error(`\n[first run] FAILED: ${error.message}\n--- last output of npm start ---\n${error.output.slice(-8000)}`);
  } else {
    console.error(`\n[first run] FAILED: ${(error as Error).stack ?? error}`);
  }
  process.exit(1);
}
