// Prisma 7 CLI configuration. The app itself never reads this: it connects through
// lib/db/client.ts and migrates through lib/db/migrate.ts (offline, WASM schema engine).
// The datasource URL only matters for stock `prisma migrate deploy` / `prisma studio`.
import { defineConfig } from "prisma/config";
import { env } from "./lib/env";
import { resolveDatabaseUrl } from "./lib/db/url";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: resolveDatabaseUrl(env()) },
});
