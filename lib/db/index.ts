// The database surface for the rest of lib/: the client, and the generated model types.
// Migrations and the embedded server are imported by scripts from ./migrate and ./pglite-server.
export { createPrismaClient, db, type Db, type PrismaClientOptions } from "./client";
export { pgliteUrl, resolveDatabaseUrl } from "./url";
export { Prisma, GatewaySessionState } from "@/lib/generated/prisma/client";
export type { User, SiweNonce, WebSession, ApiKey, UsageRecord, GatewaySession } from "@/lib/generated/prisma/client";
export { isDatabaseUnavailable } from "./errors";
