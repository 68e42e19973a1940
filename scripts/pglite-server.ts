// Serves the embedded PGlite database on its own:
//   npx tsx scripts/pglite-server.ts [--data-dir .data/pglite] [--port 54329] [--host 127.0.0.1]
// (`npm start` runs the same server inside the start script; use this one for psql or tests.)
import path from "node:path";
import { parseArgs } from "node:util";
import { env } from "@/lib/env";
import { startPgliteServer } from "@/lib/db/pglite-server";
import { onShutdownSignal } from "./lib/signals";

const config = env();
const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: path.join(config.DATA_DIR, "pglite") },
    port: { type: "string", default: String(config.PGLITE_PORT) },
    host: { type: "string", default: "127.0.0.1" },
  },
});

try {
  const server = await startPgliteServer({ dataDir: values["data-dir"], port: Number(values.port), host: values.host });
  console.log(`PGlite (${values["data-dir"]}) listening: ${server.url}`);
  const stop = async (signal: string) => {
    console.log(`${signal}: closing the database`);
    await server.stop();
    process.exit(0);
  };
  onShutdownSignal(stop);
} catch (error) {
  console.error(`pglite-server: ${(error as Error).message}`);
  process.exit(1);
}
