// `prisma generate` without network access, run by `npm install` (postinstall) so that a fresh
// clone has the Prisma client before `npm start`, `npm run keys`, `npm run provider` or a build
// needs it. Plain JavaScript: it runs before anything else is set up.
//
// The CLI insists on locating a native schema-engine binary before generating, although generate
// never runs it (Prisma Client 7 needs no engine). Pointing PRISMA_SCHEMA_ENGINE_BINARY at any
// existing file satisfies the check; a real binary given by the caller wins. Writes
// lib/generated/prisma (gitignored).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const given = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
const engine = given && fs.existsSync(given) ? given : path.join(root, "package.json");
const prismaCli = path.join(root, "node_modules", "prisma", "build", "index.js");

if (!fs.existsSync(prismaCli)) {
  console.error("prisma-generate: the prisma CLI is not installed (run `npm install` with dev dependencies).");
  process.exit(1);
}
const result = spawnSync(process.execPath, [prismaCli, "generate", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: engine, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
});
process.exit(result.status ?? 1);
