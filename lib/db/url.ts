// Where the app finds its database: DATABASE_URL, or the embedded PGlite served on PGLITE_PORT.
// Kept free of heavy imports: prisma.config.ts and the scripts load it too.

/** The connection URL of the embedded PGlite server (see ./pglite-server.ts). */
export function pgliteUrl(port: number, host = "127.0.0.1"): string {
  return `postgres://postgres@${host}:${port}/postgres`;
}

/** DATABASE_URL when set, else the embedded PGlite on PGLITE_PORT. */
export function resolveDatabaseUrl(config: { DATABASE_URL?: string; PGLITE_PORT: number }): string {
  return config.DATABASE_URL ?? pgliteUrl(config.PGLITE_PORT);
}
