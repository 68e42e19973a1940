// Gateway API keys: the key format, its hash, and the queries that create, list and revoke keys.
// No `import "server-only"`: the keys CLI (tsx) imports this module, and server-only throws there.
//
// Format: `mor_sk_` + 32 base62 characters from the CSPRNG (≈190 bits) + 6 base62 characters of the
// CRC32 of those 32. The fixed prefix lets secret scanners spot a leaked key, the checksum lets
// them (and the gateway, before any database lookup) tell a real key from a look-alike offline.
import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { z } from "zod";
import { Prisma, type Db } from "@/lib/db";

export const apiKeyPrefix = "mor_sk_";
const randomLength = 32;
const checksumLength = 6;
const apiKeyLength = apiKeyPrefix.length + randomLength + checksumLength;
/** Characters of a key shown in listings and stored in `prefix`: enough to tell keys apart, useless to an attacker. */
export const displayPrefixLength = 12;

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const apiKeyPattern = new RegExp(`^${apiKeyPrefix}[0-9A-Za-z]{${randomLength + checksumLength}}$`);
// 248 = 4 × 62: bytes at or above it are discarded so that `byte % 62` is uniform (no modulo bias).
const rejectionBound = 248;

/** A new API key (the plaintext: show it once, store only `hashApiKey(key)`). */
export function generateApiKey(): string {
  let random = "";
  while (random.length < randomLength) {
    for (const byte of randomBytes(randomLength * 2)) {
      if (byte >= rejectionBound) continue;
      random += base62[byte % 62];
      if (random.length === randomLength) break;
    }
  }
  return `${apiKeyPrefix}${random}${checksum(random)}`;
}

/** True when `value` has the key format and its checksum matches: no database needed to refuse a typo or a fake. */
export function isWellFormedApiKey(value: string): boolean {
  if (value.length !== apiKeyLength || !apiKeyPattern.test(value)) return false;
  const random = value.slice(apiKeyPrefix.length, apiKeyPrefix.length + randomLength);
  return value.slice(apiKeyPrefix.length + randomLength) === checksum(random);
}

/**
 * SHA-256 (hex) of a key: what the database stores and looks keys up by. A fast hash is right here,
 * unlike for passwords: a key carries ≈190 random bits, so a stolen hash cannot be brute-forced
 * however fast the hash is, and a slow KDF would only add latency to every gateway request.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The part of a key that is stored and shown: `mor_sk_` and the first random characters. */
export function displayPrefix(key: string): string {
  return key.slice(0, displayPrefixLength);
}

function checksum(random: string): string {
  let value = crc32(random);
  let out = "";
  for (let i = 0; i < checksumLength; i++) {
    out = base62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

// ---- errors ----

export type ApiKeyErrorCode = "invalid_input" | "not_found" | "ambiguous_prefix" | "limit_reached";

/**
 * Active (unrevoked, unexpired) API keys one wallet may hold, enforced here so the CLI and the
 * dashboard honour it alike: a leaked session cannot mint keys without bound, and revoking or
 * letting keys expire frees room. The playground key does not count.
 */
export const maxActiveApiKeysPerUser = 50;

/** A refused key operation; `message` is safe to show to the operator or dashboard user. */
export class ApiKeyError extends Error {
  constructor(
    readonly code: ApiKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiKeyError";
  }
}

// ---- input validation ----

const walletAddress = z
  .string()
  .trim()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address")
  .transform((address) => address.toLowerCase());
const limit = z.number().int("must be a whole number").positive("must be positive").max(2_000_000_000, "is too large");

export const createApiKeyInput = z.object({
  owner: walletAddress,
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  expiresAt: z
    .date()
    .refine((date) => date.getTime() > Date.now(), "must be in the future")
    .nullish(),
  allowedModels: z
    .array(z.string().trim().min(1, "model ids must not be empty").max(200, "model ids must be at most 200 characters"))
    .max(100, "at most 100 models")
    .transform((models) => [...new Set(models)])
    .optional(),
  rpmLimit: limit.nullish(),
  tpmLimit: limit.nullish(),
});
export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;

const revokeTarget = z.union([
  z.object({ id: z.uuid("must be a key id (uuid)") }),
  // From `mor_sk_` plus one character up to the full display prefix.
  z.object({
    prefix: z
      .string()
      .trim()
      .regex(new RegExp(`^${apiKeyPrefix}[0-9A-Za-z]{1,${displayPrefixLength - apiKeyPrefix.length}}$`), `must be a key prefix as listed (${apiKeyPrefix}…)`),
  }),
  z.object({ key: z.string().trim().refine(isWellFormedApiKey, "is not a well-formed API key") }),
]);
/** Which key to revoke: its id, its display prefix (or an unambiguous start of it), or the key itself. */
export type RevokeTarget = { id: string } | { prefix: string } | { key: string };

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join(".") || "input"} ${issue.message}`);
  throw new ApiKeyError("invalid_input", issues.join("; "));
}

// ---- queries ----

/** A key as shown to its owner and operators: everything except the hash. */
export type ApiKeySummary = {
  id: string;
  name: string;
  prefix: string;
  ownerAddress: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  allowedModels: string[];
  rpmLimit: number | null;
  tpmLimit: number | null;
};

const summarySelect = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  allowedModels: true,
  rpmLimit: true,
  tpmLimit: true,
  user: { select: { address: true } },
} as const;

type SummaryRow = Omit<ApiKeySummary, "ownerAddress"> & { user: { address: string } };

function toSummary({ user, ...row }: SummaryRow): ApiKeySummary {
  return { ...row, ownerAddress: user.address };
}

/**
 * Creates a key for the wallet `owner` (creating its user if new). The plaintext `key` is returned
 * here once and exists nowhere else: only its hash and display prefix are stored.
 */
export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<{ key: string; apiKey: ApiKeySummary }> {
  const data = parse(createApiKeyInput, input);
  const user = await db.user.upsert({ where: { address: data.owner }, create: { address: data.owner }, update: {} });
  const key = generateApiKey();
  const row = await db.$transaction(async (tx) => {
    // The user's row lock serialises concurrent creates of one wallet, so two cannot both pass the cap.
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${user.id}::uuid FOR UPDATE`;
    const active = await tx.apiKey.count({
      where: { userId: user.id, kind: "api", revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
    });
    if (active >= maxActiveApiKeysPerUser) {
      throw new ApiKeyError("limit_reached", `a wallet may hold at most ${maxActiveApiKeysPerUser} active API keys: revoke one first`);
    }
    return tx.apiKey.create({
      data: {
        userId: user.id,
        name: data.name,
        prefix: displayPrefix(key),
        hash: hashApiKey(key),
        expiresAt: data.expiresAt ?? null,
        allowedModels: data.allowedModels ?? [],
        rpmLimit: data.rpmLimit ?? null,
        tpmLimit: data.tpmLimit ?? null,
      },
      select: summarySelect,
    });
  });
  return { key, apiKey: toSummary(row) };
}

/** Keys newest first, revoked and expired ones included; only those of `owner` when given. Playground keys are not listed. */
export async function listApiKeys(db: Db, filter: { owner?: string } = {}): Promise<ApiKeySummary[]> {
  const owner = filter.owner === undefined ? undefined : parse(walletAddress, filter.owner);
  const rows = await db.apiKey.findMany({
    where: { kind: "api", ...(owner ? { user: { address: owner } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    select: summarySelect,
  });
  return rows.map(toSummary);
}

/**
 * Revokes a key (sets `revokedAt`; revoking a revoked key changes nothing). With `owner`, only that
 * wallet's keys are candidates, so a dashboard user cannot revoke, or learn of, someone else's key.
 * Gateway instances refuse the key within their refresh interval; a verifier on this same client
 * drops it at once (see `onApiKeyChanged`).
 */
export async function revokeApiKey(db: Db, target: RevokeTarget, scope: { owner?: string } = {}): Promise<ApiKeySummary> {
  const which = parse(revokeTarget, target);
  const owner = scope.owner === undefined ? undefined : parse(walletAddress, scope.owner);
  const where: Prisma.ApiKeyWhereInput = {
    kind: "api",
    ...("id" in which ? { id: which.id } : "prefix" in which ? { prefix: { startsWith: which.prefix } } : { hash: hashApiKey(which.key) }),
    ...(owner ? { user: { address: owner } } : {}),
  };
  const matches = await db.apiKey.findMany({ where, select: { id: true, hash: true, revokedAt: true }, take: 2 });
  if (matches.length === 0) throw new ApiKeyError("not_found", "no such API key");
  if (matches.length > 1) throw new ApiKeyError("ambiguous_prefix", `more than one key starts with "${"prefix" in which ? which.prefix : ""}": use its id`);
  const [match] = matches;
  const row = match.revokedAt
    ? await db.apiKey.findUniqueOrThrow({ where: { id: match.id }, select: summarySelect })
    : await db.apiKey.update({ where: { id: match.id }, data: { revokedAt: new Date() }, select: summarySelect });
  notifyApiKeyChanged(db, match.hash);
  return toSummary(row);
}

/**
 * Stamps `lastUsedAt` on many keys in one statement. Deliberately leaves `updatedAt` alone: that
 * column tells gateway caches that a key's authorization changed, and usage is not such a change
 * (bumping it would make every instance re-read every busy key every minute).
 */
export async function recordApiKeysUsed(db: Db, uses: { id: string; at: Date }[]): Promise<void> {
  if (uses.length === 0) return;
  await db.$executeRaw`
    UPDATE api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.at)
    FROM unnest(${uses.map((use) => use.id)}::uuid[], ${uses.map((use) => use.at)}::timestamptz[]) AS u(id, at)
    WHERE k.id = u.id`;
}

// ---- same-process change notifications ----

type ApiKeyChangeListener = (hash: string) => void;
// Keyed by client so that only verifiers reading through that same client are told. On globalThis,
// like the client singleton, so a module instantiated twice (hot reload, bundle layers) shares it.
const globalForListeners = globalThis as unknown as { morpheusApiKeyListeners?: WeakMap<Db, Set<ApiKeyChangeListener>> };
const listeners = (globalForListeners.morpheusApiKeyListeners ??= new WeakMap());

/** Calls `listener(hash)` after every key change made through `db` in this process; returns the unsubscribe. */
export function onApiKeyChanged(db: Db, listener: ApiKeyChangeListener): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => void set.delete(listener);
}

function notifyApiKeyChanged(db: Db, hash: string): void {
  for (const listener of listeners.get(db) ?? []) listener(hash);
}

// ---- what the gateway's verifier reads ----

/** The columns the gateway needs to authorize a request with a key. */
export type ApiKeyAuthRow = {
  hash: string;
  id: string;
  userId: string;
  ownerAddress: string;
  name: string;
  prefix: string;
  allowedModels: string[];
  rpmLimit: number | null;
  tpmLimit: number | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
};

// Both reads below are one statement each (a Prisma `select` of the user would be a second query).
const authColumns = Prisma.sql`
  k.hash, k.id, k.user_id AS "userId", u.address AS "ownerAddress", k.name, k.prefix,
  k.allowed_models AS "allowedModels", k.rpm_limit AS "rpmLimit", k.tpm_limit AS "tpmLimit",
  k.expires_at AS "expiresAt", k.revoked_at AS "revokedAt"`;

/** The key whose hash is `hash`, revoked and expired ones included (the caller decides). */
export async function findApiKeyByHash(db: Db, hash: string): Promise<ApiKeyAuthRow | null> {
  const rows = await db.$queryRaw<ApiKeyAuthRow[]>`
    SELECT ${authColumns} FROM api_keys AS k JOIN users AS u ON u.id = k.user_id WHERE k.hash = ${hash}`;
  return rows[0] ? toAuthRow(rows[0]) : null;
}

/** The key with id `id`, revoked and expired ones included (the caller decides); null for a malformed id. */
export async function findApiKeyById(db: Db, id: string): Promise<ApiKeyAuthRow | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const rows = await db.$queryRaw<ApiKeyAuthRow[]>`
    SELECT ${authColumns} FROM api_keys AS k JOIN users AS u ON u.id = k.user_id WHERE k.id = ${id}::uuid`;
  return rows[0] ? toAuthRow(rows[0]) : null;
}

/**
 * Keys whose `updatedAt` is after `since` (none when `since` is null), and the database's clock at
 * the query: one statement on the `updated_at` index, so it costs next to nothing when nothing changed.
 */
export async function listApiKeysChangedSince(db: Db, since: Date | null): Promise<{ polledAt: Date; changed: ApiKeyAuthRow[] }> {
  // The one-row subquery makes the clock come back even when no key changed.
  const rows = await db.$queryRaw<(Partial<ApiKeyAuthRow> & { polledAt: Date })[]>`
    SELECT p.polled_at AS "polledAt", ${authColumns}
    FROM (SELECT statement_timestamp() AS polled_at) AS p
    LEFT JOIN (api_keys AS k JOIN users AS u ON u.id = k.user_id) ON k.updated_at > ${since}::timestamptz`;
  const changed = rows.filter((row): row is ApiKeyAuthRow & { polledAt: Date } => row.hash != null).map(toAuthRow);
  return { polledAt: rows[0].polledAt, changed };
}

function toAuthRow(row: ApiKeyAuthRow): ApiKeyAuthRow {
  return {
    hash: row.hash,
    id: row.id,
    userId: row.userId,
    ownerAddress: row.ownerAddress,
    name: row.name,
    prefix: row.prefix,
    allowedModels: row.allowedModels,
    rpmLimit: row.rpmLimit,
    tpmLimit: row.tpmLimit,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
  };
}

/**
 * The key the browser playground of `userId` runs on (created on first use): usage, rate limits and
 * the usage page treat playground requests like API requests of this key. Its secret is thrown away
 * at once, so it can never be presented over HTTP: the playground calls the gateway in-process.
 */
export async function playgroundKeyId(db: Db, userId: string): Promise<string> {
  const existing = await db.apiKey.findFirst({ where: { userId, kind: "playground" }, select: { id: true }, orderBy: { createdAt: "asc" } });
  if (existing) return existing.id;
  const unusable = generateApiKey();
  const row = await db.apiKey.create({
    data: { userId, kind: "playground", name: "playground", prefix: "playground", hash: hashApiKey(unusable) },
    select: { id: true },
  });
  return row.id;
}
