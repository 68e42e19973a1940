// The one place that reads process.env: validated once, with a message naming the bad variable.
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
  .transform((k) => k.toLowerCase() as `0x${string}`);
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
  /** Port of the local anvil chain (CHAIN=local only). */
  ANVIL_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
  /** Port on which the embedded PGlite database is served over the Postgres wire protocol. */
  PGLITE_PORT: z.coerce.number().int().min(1).max(65535).default(54329),

  // --- the provider node (`npm run provider`) ---
  /** The provider's wallet key: signs approvals, receipts and every MOR-RPC reply. */
  PROVIDER_PRIVATE_KEY: privateKey.optional(),
  /** Where the provider node listens for MOR-RPC (the on-chain endpoint must reach it). */
  PROVIDER_LISTEN_ADDRESS: listenAddress.default("0.0.0.0:3333"),
  /** The models this provider serves (Go proxy-router format); MODELS_CONFIG_CONTENT wins when set. */
  MODELS_CONFIG_PATH: z.string().min(1).default("models-config.json"),
  MODELS_CONFIG_CONTENT: z.string().optional(),
  /** Port of the deterministic demo model `npm start` runs for the demo provider (CHAIN=local only). */
  DEMO_MODEL_PORT: z.coerce.number().int().min(1).max(65535).default(3334),
  /** Upper bound of one upstream model call. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).default(240_000),
});

export type Env = z.infer<typeof schema>;

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings (e.g. `RPC_URL=` in a .env file) mean "unset".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid environment configuration (see .env.example):\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;

/** The validated environment of this process. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
