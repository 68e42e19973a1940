// An API key for the e2e marketplace, created the way a user does: `npm run keys -- create`
// against the database `npm start` serves (playwright.config.ts: PGLITE_PORT = base + 51329).
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

export async function createApiKey(owner: string, name: string): Promise<string> {
  const base = Number(process.env.E2E_PORT_BASE ?? 3100);
  const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/keys.ts", "create", "--owner", owner, "--name", name], {
    cwd: root,
    timeout: 60_000,
    env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: process.env.HOME, CHAIN: "local", DATA_DIR: ".data/e2e", PGLITE_PORT: String(base + 51329), DATABASE_URL: "", RPC_URL: "" },
  });
  const key = stdout.trim().split("\n").at(-1) ?? "";
  if (!key) throw new Error("npm run keys -- create printed no key");
  return key;
}
