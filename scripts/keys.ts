// Gateway API keys, for operators:
//   npm run keys -- create --owner <0x address> --name <name> [--expires 30d|2027-01-31] [--models a,b] [--rpm N] [--tpm N]
//   npm run keys -- list [--owner <0x address>]
//   npm run keys -- revoke <id | prefix | key>
// The database is DATABASE_URL; else the embedded PGlite that a running `npm start` serves on
// PGLITE_PORT; else (the app is not running) the embedded database directory, opened here.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { env, EnvError, type Env } from "@/lib/env";
import { createPrismaClient, pgliteUrl, Prisma, type Db } from "@/lib/db";
import { ApiKeyError, createApiKey, isWellFormedApiKey, listApiKeys, revokeApiKey, type ApiKeySummary, type RevokeTarget } from "@/lib/auth/api-keys";

const root = path.resolve(import.meta.dirname, "..");
if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));

const usage = `Gateway API keys.

Usage:
  npm run keys -- create --owner <0x address> --name <name> [options]
      --expires <30d | 12h | 2w | 2027-01-31 | ISO time>   expiry (a date alone = 00:00 UTC); default never
      --models <a,b,…>   model ids the key may call; default all
      --rpm <N>          requests per minute; default the gateway's (GATEWAY_DEFAULT_RPM)
      --tpm <N>          tokens per minute; default the gateway's (GATEWAY_DEFAULT_TPM)
    Prints the new key alone on the last line of stdout (details on stderr). It is shown only once.
  npm run keys -- list [--owner <0x address>]
  npm run keys -- revoke <id | prefix | key>

Database: DATABASE_URL, else the embedded database of a running \`npm start\` (PGLITE_PORT),
else the embedded database in DATA_DIR, opened by this command.`;

class UsageError extends Error {}

// ---- commands ----

async function create(db: Db, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      owner: { type: "string" },
      name: { type: "string" },
      expires: { type: "string" },
      models: { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
    },
  });
  if (!values.owner) throw new UsageError("create needs --owner <0x address>");
  if (!values.name) throw new UsageError("create needs --name <name>");
  const { key, apiKey } = await createApiKey(db, {
    owner: values.owner,
    name: values.name,
    expiresAt: values.expires === undefined ? undefined : parseExpiry(values.expires),
    allowedModels: values.models === undefined ? undefined : values.models.split(",").map((model) => model.trim()).filter(Boolean),
    rpmLimit: values.rpm === undefined ? undefined : parseCount("--rpm", values.rpm),
    tpmLimit: values.tpm === undefined ? undefined : parseCount("--tpm", values.tpm),
  });
  console.error(`created API key "${apiKey.name}" for ${apiKey.ownerAddress}`);
  console.error(`  id       ${apiKey.id}`);
  console.error(`  prefix   ${apiKey.prefix}`);
  console.error(`  expires  ${apiKey.expiresAt ? apiKey.expiresAt.toISOString() : "never"}`);
  console.error(`  models   ${apiKey.allowedModels.length ? apiKey.allowedModels.join(", ") : "all"}`);
  console.error(`  limits   ${limits(apiKey)}`);
  console.error("The key follows. It is shown only this once and cannot be recovered: store it now.");
  console.log(key);
}

async function list(db: Db, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { owner: { type: "string" } } });
  const keys = await listApiKeys(db, { owner: values.owner });
  if (keys.length === 0) {
    console.log(values.owner ? `no API keys for ${values.owner.toLowerCase()}` : "no API keys");
    return;
  }
  const now = Date.now();
  const header = ["PREFIX", "NAME", "OWNER", "CREATED", "EXPIRES", "REVOKED", "LIMITS", "LAST USED", "ID"];
  const rows = keys.map((key) => [
    key.prefix,
    key.name,
    key.ownerAddress,
    formatTime(key.createdAt),
    key.expiresAt ? `${formatTime(key.expiresAt)}${key.expiresAt.getTime() <= now ? " (expired)" : ""}` : "never",
    key.revokedAt ? formatTime(key.revokedAt) : "-",
    limits(key),
    key.lastUsedAt ? formatTime(key.lastUsedAt) : "never",
    key.id,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}

async function revoke(db: Db, args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError("revoke needs exactly one <id | prefix | key>");
  const [which] = positionals;
  const target: RevokeTarget = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(which)
    ? { id: which }
    : isWellFormedApiKey(which)
      ? { key: which }
      : { prefix: which };
  const startedAt = Date.now();
  const key = await revokeApiKey(db, target);
  // revokeApiKey stamps revokedAt with this process's clock: an earlier time means someone else did.
  const already = key.revokedAt !== null && key.revokedAt.getTime() < startedAt;
  console.log(
    already
      ? `${key.prefix} "${key.name}" (${key.ownerAddress}) was already revoked at ${formatTime(key.revokedAt!)}`
      : `revoked ${key.prefix} "${key.name}" (${key.ownerAddress}): gateways refuse it within their refresh interval`,
  );
}

// ---- parsing and formatting ----

const durationUnits: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

function parseExpiry(value: string): Date {
  const relative = /^(\d+)([hdw])$/.exec(value.trim());
  if (relative) return new Date(Date.now() + Number(relative[1]) * durationUnits[relative[2]]);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? new Date(`${value.trim()}T00:00:00Z`) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--expires "${value}": use e.g. 30d, 12h, 2w, 2027-01-31 or an ISO time`);
  return date;
}

function parseCount(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} "${value}": must be a whole number`);
  return Number(value);
}

function limits(key: Pick<ApiKeySummary, "rpmLimit" | "tpmLimit" | "allowedModels">): string {
  const models = key.allowedModels.length ? key.allowedModels.join(",") : "all";
  return `rpm=${key.rpmLimit ?? "default"} tpm=${key.tpmLimit ?? "default"} models=${models}`;
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

// ---- the database ----

type Connection = { url: string; close(): Promise<void> };

async function connect(config: Env): Promise<Connection> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, close: async () => {} };
  if (await isListening("127.0.0.1", config.PGLITE_PORT)) return { url: pgliteUrl(config.PGLITE_PORT), close: async () => {} };
  const dataDir = path.resolve(root, config.DATA_DIR, "pglite");
  if (!fs.existsSync(dataDir)) {
    throw new Error(
      `no database: DATABASE_URL is unset, nothing serves the embedded database on port ${config.PGLITE_PORT}, and ${dataDir} does not exist (run \`npm start\` or \`npm run db:migrate\` first)`,
    );
  }
  // Loaded only here: PGlite takes a while to import. Port 0: a free port, private to this
  // command. Fails clearly if another process holds the directory.
  const { startPgliteServer } = await import("@/lib/db/pglite-server");
  const server = await startPgliteServer({ dataDir, port: 0 });
  return { url: server.url, close: () => server.stop() };
}

function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function describeError(error: unknown): string {
  if (error instanceof EnvError || error instanceof ApiKeyError || error instanceof UsageError) return error.message;
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2021") {
    return "the database has no API key tables yet: run `npm run db:migrate` (or `npm start`) first";
  }
  // Prisma prefixes its messages with the failed invocation; the last line says what went wrong.
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split("\n").filter(Boolean).pop() ?? message;
}

// ---- main ----

const commands: Record<string, (db: Db, args: string[]) => Promise<void>> = { create, list, revoke };

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "help" || argv.includes("--help") || argv.includes("-h")) {
    (command ? console.log : console.error)(usage);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    console.error(`keys: unknown command "${command}"\n\n${usage}`);
    return 2;
  }
  let connection: Connection | undefined;
  let db: Db | undefined;
  try {
    connection = await connect(env());
    db = createPrismaClient(connection.url, { poolSize: 1 });
    await run(db, args);
    return 0;
  } catch (error) {
    console.error(`keys ${command}: ${describeError(error)}`);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error("(npm run keys -- --help for usage)");
      return 2;
    }
    return 1;
  } finally {
    await db?.$disconnect();
    await connection?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
