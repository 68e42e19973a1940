// Database commands:
//   npm run db:migrate          apply pending migrations to DATABASE_URL, or (unset) to the
//                               embedded PGlite in DATA_DIR, which this command then opens itself
//   npm run db:new -- <name>    write prisma/migrations/<timestamp>_<name> from schema.prisma changes
import fs from "node:fs";
import path from "node:path";
import { env, EnvError } from "@/lib/env";
import { applyMigrations, createMigration } from "@/lib/db/migrate";
import { startPgliteServer } from "@/lib/db/pglite-server";

const root = path.resolve(import.meta.dirname, "..");
if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));

async function migrate(): Promise<void> {
  const config = env();
  if (config.DATABASE_URL) {
    console.log(`applying migrations to ${new URL(config.DATABASE_URL).host}`);
    report(await applyMigrations(config.DATABASE_URL));
    return;
  }
  const dataDir = path.resolve(root, config.DATA_DIR, "pglite");
  // Opening the directory fails clearly if `npm start` (or another db:migrate) already owns it.
  const server = await startPgliteServer({ dataDir, port: config.PGLITE_PORT });
  try {
    console.log(`applying migrations to the embedded database in ${path.relative(root, dataDir)}`);
    report(await applyMigrations(server.url));
  } finally {
    await server.stop();
  }
}

function report(applied: string[]): void {
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "already up to date: no pending migrations");
}

async function newMigration(name: string | undefined): Promise<void> {
  if (!name) throw new Error("usage: npm run db:new -- <name>   (e.g. add_model_prices)");
  const created = await createMigration(name);
  if (!created) {
    console.log("no changes: prisma/schema.prisma matches the existing migrations, nothing written");
    return;
  }
  console.log(`wrote ${path.relative(root, created.dir)}/migration.sql:\n\n${created.sql}`);
  console.log("review it, then apply with `npm run db:migrate` (npm start applies it too)");
}

const [command, ...args] = process.argv.slice(2);
try {
  if (command === "migrate") await migrate();
  else if (command === "new") await newMigration(args[0]);
  else throw new Error("usage: tsx scripts/db.ts migrate | new <name>");
} catch (error) {
  console.error(`db ${command ?? ""}: ${error instanceof EnvError ? error.message : (error as Error).message}`);
  process.exit(1);
}
