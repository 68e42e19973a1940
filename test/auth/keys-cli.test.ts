// `npm run keys` as a real process: against DATABASE_URL (PGlite, and PostgreSQL with
// TEST_POSTGRES_URL), against the embedded database served by a running app on PGLITE_PORT, and
// against the embedded database directory when nothing serves it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { startPgliteServer } from "@/lib/db/pglite-server";
import { hashApiKey, isWellFormedApiKey } from "@/lib/auth/api-keys";
import { ApiKeyVerifier } from "@/lib/auth/key-verifier";
import { alice, backends, bob, migratedDatabase } from "./fixture";
import type { FreshDatabase } from "../db/backends";
import { freePort } from "../support/ports";

const root = path.resolve(import.meta.dirname, "../..");

type CliResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs scripts/keys.ts with only the given variables: the ones it reads are all set (empty =
 * unset), so neither this process's environment nor a developer's .env leaks in.
 */
function keys(args: string[], vars: Record<string, string>): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", DATABASE_URL: "", DATA_DIR: "", PGLITE_PORT: "", ...vars };
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/keys.ts", ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Each run starts Node, tsx and Prisma (and PGlite when it opens the directory): seconds on a busy machine.
const cliTimeout = { timeout: 180_000 };

const lastLine = (text: string) => text.trimEnd().split("\n").pop() ?? "";

for (const backend of backends) {
  describe.skipIf(backend.skipReason)(`npm run keys with DATABASE_URL on ${backend.name}${backend.skipReason ? ` (skipped: ${backend.skipReason})` : ""}`, cliTimeout, () => {
    let database: FreshDatabase;
    let db: Db;
    let vars: Record<string, string>;
    beforeAll(async () => {
      database = await migratedDatabase(backend);
      db = createPrismaClient(database.url, { poolSize: 1 });
      vars = { DATABASE_URL: database.url };
    });
    afterAll(async () => {
      await db?.$disconnect();
      await database?.drop();
    });

    it("creates a key printed alone on the last stdout line, which the gateway accepts", async () => {
      const result = await keys(["create", "--owner", alice.toUpperCase().replace("0X", "0x"), "--name", "ci runner", "--expires", "30d", "--models", "llama-3, qwen", "--rpm", "60", "--tpm", "5000"], vars);
      expect(result.code, result.stderr).toBe(0);
      const key = lastLine(result.stdout);
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(result.stdout.trim()).toBe(key); // details go to stderr
      expect(result.stderr).toContain(`created API key "ci runner" for ${alice}`);
      expect(result.stderr).toContain(key.slice(0, 12));
      expect(result.stderr).not.toContain(key);

      const verifier = new ApiKeyVerifier(db);
      try {
        const verified = await verifier.verify(`Bearer ${key}`);
        expect(verified).toMatchObject({ ownerAddress: alice, name: "ci runner", allowedModels: ["llama-3", "qwen"], rpmLimit: 60, tpmLimit: 5000 });
        const days = (verified!.expiresAt!.getTime() - Date.now()) / 86_400_000;
        expect(days).toBeGreaterThan(29.9);
        expect(days).toBeLessThan(30.1);
      } finally {
        await verifier.close();
      }
    });

    it("lists keys as a table without hashes, optionally for one owner", async () => {
      const created = await keys(["create", "--owner", bob, "--name", "bob's key", "--expires", "2099-01-31"], vars);
      const key = lastLine(created.stdout);
      const listed = await keys(["list"], vars);
      expect(listed.code, listed.stderr).toBe(0);
      const [header, ...rows] = listed.stdout.trimEnd().split("\n");
      expect(header).toMatch(/^PREFIX\s+NAME\s+OWNER\s+CREATED\s+EXPIRES\s+REVOKED\s+LIMITS\s+LAST USED\s+ID$/);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toContain(key.slice(0, 12));
      expect(rows[0]).toContain("bob's key");
      expect(rows[0]).toContain("2099-01-31 00:00Z");
      expect(rows[0]).toContain("rpm=default tpm=default models=all");
      expect(rows[1]).toContain("rpm=60 tpm=5000 models=llama-3,qwen");
      expect(listed.stdout).not.toContain(hashApiKey(key));
      expect(listed.stdout).not.toContain(key);

      const [mine, nobody] = await Promise.all([keys(["list", "--owner", bob], vars), keys(["list", "--owner", "0x" + "00".repeat(20)], vars)]);
      expect(mine.stdout.trimEnd().split("\n")).toHaveLength(2);
      expect(nobody.stdout.trim()).toBe(`no API keys for 0x${"00".repeat(20)}`);
    });

    it("revokes by prefix or id; the gateway then refuses the key", async () => {
      const key = lastLine((await keys(["create", "--owner", alice, "--name", "to revoke"], vars)).stdout);
      const revoked = await keys(["revoke", key.slice(0, 12)], vars);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`revoked ${key.slice(0, 12)} "to revoke"`);
      const verifier = new ApiKeyVerifier(db);
      try {
        expect(await verifier.verify(key)).toBeNull();
      } finally {
        await verifier.close();
      }
      const row = await db.apiKey.findUniqueOrThrow({ where: { hash: hashApiKey(key) } });
      const again = await keys(["revoke", row.id], vars);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("was already revoked");
    });

    it("fails with a clear message and a non-zero exit", async () => {
      const [badOwner, missingName, badExpiry, pastExpiry, unknown, command] = await Promise.all([
        keys(["create", "--owner", "0x1234", "--name", "x"], vars),
        keys(["create", "--owner", alice], vars),
        keys(["create", "--owner", alice, "--name", "x", "--expires", "soon"], vars),
        keys(["create", "--owner", alice, "--name", "x", "--expires", "2001-01-01"], vars),
        keys(["revoke", "mor_sk_ZZZZZ"], vars),
        keys(["rotate"], vars),
      ]);
      expect(badOwner.code).toBe(1);
      expect(badOwner.stderr).toContain("keys create: owner must be a 0x-prefixed 20-byte hex address");
      expect(badOwner.stdout).toBe("");
      expect(missingName.code).toBe(2);
      expect(missingName.stderr).toContain("create needs --name <name>");
      expect(badExpiry.code).toBe(2);
      expect(badExpiry.stderr).toContain('--expires "soon"');
      expect(pastExpiry.code).toBe(1);
      expect(pastExpiry.stderr).toContain("expiresAt must be in the future");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("keys revoke: no such API key");
      expect(command.code).toBe(2);
      expect(command.stderr).toContain('unknown command "rotate"');
    });

    it("prints its usage with --help", async () => {
      const help = await keys(["--help"], vars);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("npm run keys -- create --owner <0x address> --name <name>");
    });
  });
}

describe("npm run keys without DATABASE_URL (embedded database)", cliTimeout, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-keys-cli-"));
    const server = await startPgliteServer({ dataDir: path.join(dataDir, "pglite"), port: 0 });
    try {
      await applyMigrations(server.url);
    } finally {
      await server.stop();
    }
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function keyExists(url: string, key: string): Promise<boolean> {
    const db = createPrismaClient(url, { poolSize: 1 });
    try {
      return (await db.apiKey.count({ where: { hash: hashApiKey(key) } })) === 1;
    } finally {
      await db.$disconnect();
    }
  }

  it("opens the database directory itself when the app is not running", async () => {
    const vars = { DATA_DIR: dataDir, PGLITE_PORT: String(await freePort()) };
    const created = await keys(["create", "--owner", alice, "--name", "offline"], vars);
    expect(created.code, created.stderr).toBe(0);
    const key = lastLine(created.stdout);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "pglite", "owner.pid"))).toBe(false); // released on exit

    const server = await startPgliteServer({ dataDir: path.join(dataDir, "pglite"), port: 0 });
    try {
      expect(await keyExists(server.url, key)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("talks to the embedded database served by a running app on PGLITE_PORT", async () => {
    const server = await startPgliteServer({ dataDir: path.join(dataDir, "pglite"), port: 0 });
    try {
      const vars = { DATA_DIR: dataDir, PGLITE_PORT: String(server.port) };
      const created = await keys(["create", "--owner", alice, "--name", "online"], vars);
      expect(created.code, created.stderr).toBe(0);
      expect(await keyExists(server.url, lastLine(created.stdout))).toBe(true);
      const listed = await keys(["list"], vars);
      expect(listed.stdout).toContain("offline");
      expect(listed.stdout).toContain("online");
    } finally {
      await server.stop();
    }
  });

  it("says what to do when there is no database or it is not migrated", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-keys-cli-empty-"));
    try {
      const port = String(await freePort());
      const none = await keys(["list"], { DATA_DIR: empty, PGLITE_PORT: port });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/no database: DATABASE_URL is unset, nothing serves the embedded database on port \d+/);

      const server = await startPgliteServer({ dataDir: path.join(empty, "pglite"), port: 0 });
      await server.stop();
      const unmigrated = await keys(["list"], { DATA_DIR: empty, PGLITE_PORT: port });
      expect(unmigrated.code).toBe(1);
      expect(unmigrated.stderr).toContain("run `npm run db:migrate` (or `npm start`) first");
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
