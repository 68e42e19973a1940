// The one place that reads process.env: validated once, with a message naming the bad variable.
import { parseUnits } from "viem";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
  .transform((k) => k.toLowerCase() as `0x${string}`);
/** An amount of MOR as written by people ("2.5"), as wei. */
const morAmount = z
  .string()
  .regex(/^\d{1,30}(\.\d{1,18})?$/, 'must be an amount of MOR such as "2.5"')
  .transform((v) => parseUnits(v, 18));

/**
 * The private keys of anvil's default accounts (mnemonic "test test … junk"), known to everyone:
 * a wallet holding one of them on a real chain is emptied by bots within seconds.
 * (lib/env.test.ts checks this list against lib/chain/anvil.ts.)
 */
export const WELL_KNOWN_DEV_KEYS: readonly string[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/** "host:port" or ":port" (all interfaces). */
const listenAddress = z.string().regex(/^([^:\s]*):(\d{1,5})$/, 'must be "host:port" or ":port"');

export const chainNames = ["local", "base", "base-sepolia", "arbitrum", "arbitrum-sepolia"] as const;
export type ChainName = (typeof chainNames)[number];

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Which network the app talks to; `local` = anvil started and seeded by `npm start`. */
  CHAIN: z.enum(chainNames).default("local"),
  /** JSON-RPC endpoint; defaults to the network's public RPC, or the local anvil. */
  RPC_URL: z.url().optional(),
  /** Override the Diamond / MOR addresses of the network table (e.g. a private deployment). */
  DIAMOND_ADDRESS: address.optional(),
  MOR_TOKEN_ADDRESS: address.optional(),
  /** postgres://… for a real PostgreSQL; unset = embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL").optional(),
  /** Where the embedded database, local chain state and deployment record live. */
  DATA_DIR: z.string().min(1).default(".data"),
  /** HTTP port of the web app / gateway. */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /**
   * The site's public origin (e.g. https://portal.example), when known: the only origin whose
   * requests and Sign-In with Ethereum messages the web session routes accept. Required on a real
   * chain (assertWebAppEnv). Unset on the local chain: the origin the request was addressed to
   * (its Host / X-Forwarded-Host), which suits local runs.
   */
  APP_ORIGIN: z
    .url()
    .optional()
    .transform((url) => (url === undefined ? undefined : new URL(url).origin)),
  /**
   * Reverse proxies of ours in front of the app, each appending the address it saw to
   * X-Forwarded-For: per-address limits count the entry this many from the right (0: the socket's
   * own address; entries a client wrote itself are never counted).
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** WalletConnect Cloud project id: offers WalletConnect and Coinbase wallets (their servers are then contacted). Public. */
  NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID: z.string().regex(/^[0-9a-f]{32}$/, "must be a 32-hex-character WalletConnect project id").optional(),
  /** Port of the local anvil chain (CHAIN=local only). */
  ANVIL_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
  /** Port on which the embedded PGlite database is served over the Postgres wire protocol. */
  PGLITE_PORT: z.coerce.number().int().min(1).max(65535).default(54329),

  // --- the provider node (`npm run provider`) ---
  /** The provider's wallet key: signs approvals, receipts and every MOR-RPC reply. */
  PROVIDER_PRIVATE_KEY: privateKey.optional(),
  /**
   * The on-chain provider the node serves when PROVIDER_PRIVATE_KEY signs for another account: a
   * provider that gave the key PROVIDER rights on delegate.xyz, or a contract provider it owns.
   * Unset: the key's own address.
   */
  PROVIDER_ADDRESS: address.optional(),
  /** Where the provider node listens for MOR-RPC (the on-chain endpoint must reach it). */
  PROVIDER_LISTEN_ADDRESS: listenAddress.default("0.0.0.0:3333"),
  /** The models this provider serves (Go proxy-router format); MODELS_CONFIG_CONTENT wins when set. */
  MODELS_CONFIG_PATH: z.string().min(1).default("models-config.json"),
  MODELS_CONFIG_CONTENT: z.string().optional(),
  /** Port of the deterministic demo model `npm start` runs for the demo provider (CHAIN=local only). */
  DEMO_MODEL_PORT: z.coerce.number().int().min(1).max(65535).default(3334),
  /** Upper bound of one upstream model call. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).default(240_000),
  /** MOR-RPC connections the provider node holds open at once, in all and from one IP address (a gateway holds one per running prompt). */
  PROVIDER_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1024),
  PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(32),

  // --- the /api/v1 gateway ---
  /** Requests per minute for an API key without its own limit (shared by all instances on one database); 0 = unlimited. */
  GATEWAY_DEFAULT_RPM: z.coerce.number().int().min(0).max(1_000_000_000).default(600),
  /** Tokens per minute for an API key without its own limit (shared by all instances on one database); 0 = unlimited. */
  GATEWAY_DEFAULT_TPM: z.coerce.number().int().min(0).max(1_000_000_000).default(1_000_000),
  /** How often each instance adds its rate-limit counts to the shared ones in the database and reads the others' (the limits' error bound). */
  GATEWAY_RATE_LIMIT_SYNC_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /** A key revoked anywhere is refused by every gateway instance at most this long after the revocation commits. */
  API_KEY_REFRESH_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** The gateway's wallet: opens, pays for and closes the sessions that serve /api/v1 (unset: no inference). */
  GATEWAY_PRIVATE_KEY: privateKey.optional(),
  /** Names this instance in the shared session pool; stable across restarts so its leftovers are recovered. */
  GATEWAY_INSTANCE_ID: z.string().min(1).max(100).optional(),
  /** How long the sessions the gateway opens last; their stake is sized from this and the bid price. */
  GATEWAY_SESSION_SECONDS: z.coerce.number().int().min(300).default(3600),
  /** Sessions open at once per model (all instances together). */
  GATEWAY_MAX_SESSIONS_PER_MODEL: z.coerce.number().int().min(1).default(8),
  /** A session unused this long is closed on-chain with the provider's receipt. */
  GATEWAY_SESSION_IDLE_SECONDS: z.coerce.number().int().min(1).default(600),
  /** Sessions this close to their end are not handed out, and replaced if still in use. */
  GATEWAY_RENEW_BEFORE_SECONDS: z.coerce.number().int().min(0).default(120),
  /** Pay providers from the gateway's stake instead of from compute emissions (stipend). */
  GATEWAY_DIRECT_PAYMENT: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** How long a provider that failed is skipped. */
  GATEWAY_PROVIDER_COOLDOWN_SECONDS: z.coerce.number().int().min(0).default(60),
  /** A provider that does not answer for its close receipt is retried this long before its session is closed as a dispute. */
  GATEWAY_RECEIPT_GIVE_UP_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Longest a model may think before its first reply (default; see GATEWAY_MODEL_TIMEOUTS). The provider's liveness is checked apart. */
  GATEWAY_FIRST_BYTE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(60_000),
  /** Longest gap between two chunks of a stream (default; see GATEWAY_MODEL_TIMEOUTS). */
  GATEWAY_STREAM_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(90_000),
  /**
   * Per-model overrides of the two limits above: "model=first[/gap],…" with durations in ms, s
   * or m (at most 5m, the longest a request may hold a session), e.g. "deepseek-r1=4m/2m,qwq-32b=180s".
   * The model as the API names it (id, name or 0x id).
   */
  GATEWAY_MODEL_TIMEOUTS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseModelTimeouts(v ?? "");
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** While no byte arrives from a provider for this long, it is pinged on a separate connection; two failed pings fail it over (0 = never). */
  GATEWAY_LIVENESS_PING_MS: z.coerce.number().int().min(0).default(15_000),
  /** Longest wait for a free session when a model is at its session cap. */
  GATEWAY_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** How long a session stays parked in the instance that just used it (no database round trip for its next request here) before it goes back to the shared pool; 0 = off. */
  GATEWAY_SESSION_PARK_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /** How often the pool is tidied (renewals, idle closes, released stakes). */
  GATEWAY_MAINTENANCE_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Bid rating weights, e.g. "tps=0.24,ttft=0.08,duration=0.24,success=0.32,stake=0.12" (must sum to 1). */
  GATEWAY_RATING_WEIGHTS: z.string().optional(),
  /** Only these providers (comma-separated addresses) are used; unset = all. */
  GATEWAY_PROVIDER_ALLOWLIST: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",").map((a) => a.trim()).filter(Boolean) : []))
    .pipe(z.array(address)),
  /** Largest accepted /api/v1 request body, in bytes (larger: 413). */
  GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
  /** Longest time a client may take to send its request body (slower: 408). */
  GATEWAY_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),

  // --- what the gateway wallet may spend (every cap counts all gateway instances together) ---
  /** Sessions not yet settled (opening, in use, idle or closing) across all models. */
  GATEWAY_MAX_SESSIONS: z.coerce.number().int().min(1).default(64),
  /** New sessions opened with one provider per minute (a provider that breaks sessions cannot make the gateway stake without end). */
  GATEWAY_MAX_OPENINGS_PER_PROVIDER_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  /** Bids priced above this many MOR per hour are never used; unset = no cap. */
  GATEWAY_MAX_PRICE_PER_HOUR: morAmount.optional(),
  /** Bids whose session would need a stake above this many MOR are never used; unset = no cap. */
  GATEWAY_MAX_STAKE_PER_SESSION: morAmount.optional(),
  /** MOR staked in unsettled sessions at once, all of them together; unset = no cap. */
  GATEWAY_MAX_TOTAL_STAKE: morAmount.optional(),
  /** When an opening finds the wallet's MOR allowance short, it approves the stakes of this many sessions at once (instances sharing the wallet then rarely race for it). */
  GATEWAY_APPROVE_SESSIONS: z.coerce.number().int().min(1).max(1000).default(16),

  // --- what one API client may use ---
  /** Requests one API key may have running at once (per gateway instance); 0 = unlimited. */
  GATEWAY_MAX_CONCURRENT_PER_KEY: z.coerce.number().int().min(0).default(16),
  /** Failed authentications one client address may make per minute (per gateway instance) before it is refused for the rest of the minute. */
  GATEWAY_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Largest `n` (choices per chat completion) passed to providers; larger: 400. */
  GATEWAY_MAX_N: z.coerce.number().int().min(1).default(8),
  /** Largest `max_tokens` / `max_completion_tokens` passed to providers; larger values are lowered to it. */
  GATEWAY_MAX_TOKENS: z.coerce.number().int().min(1).default(32_768),
});

/** Rules between variables: what must not run on a real chain. */
const checked = schema.superRefine((env, ctx) => {
  if (env.CHAIN === "local") return;
  for (const name of ["GATEWAY_PRIVATE_KEY", "PROVIDER_PRIVATE_KEY"] as const) {
    if (env[name] && WELL_KNOWN_DEV_KEYS.includes(env[name])) {
      ctx.addIssue({ code: "custom", path: [name], message: `is one of anvil's well-known development keys, which anyone can spend from: refused on CHAIN=${env.CHAIN}` });
    }
  }
  if (env.GATEWAY_DIRECT_PAYMENT && env.GATEWAY_PROVIDER_ALLOWLIST.length === 0 && env.GATEWAY_MAX_PRICE_PER_HOUR === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["GATEWAY_DIRECT_PAYMENT"],
      message: `direct payment pays any price a provider bids: on CHAIN=${env.CHAIN} set GATEWAY_PROVIDER_ALLOWLIST or GATEWAY_MAX_PRICE_PER_HOUR`,
    });
  }
});

export type Env = z.infer<typeof schema>;

/** One model's limits from GATEWAY_MODEL_TIMEOUTS (absent: the default). */
export interface ModelTimeouts {
  firstByteMs: number;
  idleMs?: number;
}

/** A request holds its session at most 5 minutes in all (lib/gateway/session-manager.ts MAX_HOLD_MS): no limit can be longer. */
const MAX_MODEL_TIMEOUT_MS = 5 * 60_000;
const MAX_MODEL_TIMEOUT_ENTRIES = 200;

function parseDurationMs(text: string, what: string): number {
  const match = /^(\d{1,9})(ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`${what}: "${text.slice(0, 40)}" is not a duration like 90s, 1500ms or 10m`);
  const ms = Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as "ms" | "s" | "m"];
  if (ms < 100 || ms > MAX_MODEL_TIMEOUT_MS) throw new Error(`${what}: ${text.trim()} is outside 100ms..5m (a request holds its session at most 5 minutes)`);
  return ms;
}

/** "model=first[/gap],…" → per-model limits; throws naming the bad entry. */
export function parseModelTimeouts(text: string): Map<string, ModelTimeouts> {
  const out = new Map<string, ModelTimeouts>();
  const entries = text.split(",").map((e) => e.trim()).filter(Boolean);
  if (entries.length > MAX_MODEL_TIMEOUT_ENTRIES) throw new Error(`at most ${MAX_MODEL_TIMEOUT_ENTRIES} entries`);
  for (const entry of entries) {
    const eq = entry.lastIndexOf("=");
    const model = entry.slice(0, eq).trim();
    if (eq <= 0 || !model || model.length > 200) throw new Error(`"${entry.slice(0, 60)}" must be model=duration or model=duration/duration`);
    if (out.has(model)) throw new Error(`model "${model}" is listed twice`);
    const [first, gap, ...rest] = entry.slice(eq + 1).split("/");
    if (rest.length > 0) throw new Error(`"${entry.slice(0, 60)}": at most two durations (first reply / gap between chunks)`);
    out.set(model, { firstByteMs: parseDurationMs(first, model), ...(gap !== undefined ? { idleMs: parseDurationMs(gap, model) } : {}) });
  }
  return out;
}

export class EnvError extends Error {
  override name = "EnvError";

  /** The variables' problems, one line each, as every entry point prints them. */
  static of(lines: string[]): EnvError {
    return new EnvError(`Invalid environment configuration (see .env.example):\n${lines.join("\n")}`);
  }
}

/**
 * What the web app (next.config.mjs) refuses beyond the shared rules. On a real chain, Sign-In
 * with Ethereum must be bound to a configured origin: without APP_ORIGIN the expected domain comes
 * from the request's Host / X-Forwarded-Host, which any non-browser client sets as it likes, so a
 * message a wallet signed for another site would open a session here.
 */
export function assertWebAppEnv(e: Env): void {
  if (e.CHAIN === "local" || e.APP_ORIGIN) return;
  throw EnvError.of([`  APP_ORIGIN: must be set on CHAIN=${e.CHAIN} (the site's public origin, e.g. https://portal.example): wallet sign-in is bound to it`]);
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings (e.g. `RPC_URL=` in a .env file) mean "unset".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = checked.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw EnvError.of(lines);
  }
  return result.data;
}

let cached: Env | undefined;

/** The validated environment of this process. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
