// The one place that reads process.env: validated once, with a message naming the bad variable.
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");

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
