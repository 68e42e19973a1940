// Tells a database that cannot be reached (down, restarting, refusing connections, a connection
// cut mid-query) from every other database error: the first is an outage the caller may retry
// (the API answers 503), the second a bug (500). Errors are told apart by name and code, not by
// class: Next.js may load Prisma's runtime once per bundle, so classes can differ.

/** Prisma codes of an unreachable database (P1xxx connection errors, pool timeout, too many connections). */
const UNAVAILABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1011", "P1017", "P2024", "P2037"]);
/** Driver adapter error kinds (@prisma/driver-adapter-utils) of an unreachable database. */
const UNAVAILABLE_ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TlsConnectionError"]);
/** Socket errors of node / pg while connecting or mid-query. */
const UNAVAILABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P05 (shutdown, starting up), 53300 (too many connections). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-5]|53300)$/;
/** What pg throws when the server goes away under a connection, and Prisma when no connection frees up in time (P2028). */
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|Can't reach database server|server closed the connection|Unable to start a transaction in the given time/i;

type Inspectable = {
  name?: unknown;
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown } & Record<string, unknown>;
};

/** Whether `error` (or what caused it) says the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  // Bounded walk over cause / driverAdapterError chains (they are short; a cycle must not hang us).
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    if (!current || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const e = current as Inspectable;
    if (e.name === "PrismaClientInitializationError") return true;
    if (typeof e.code === "string" && (UNAVAILABLE_PRISMA_CODES.has(e.code) || UNAVAILABLE_SOCKET_CODES.has(e.code))) return true;
    if (typeof e.kind === "string" && UNAVAILABLE_ADAPTER_KINDS.has(e.kind)) return true;
    if (e.kind === "postgres" && typeof e.code === "string" && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
    if (typeof e.code === "string" && UNAVAILABLE_SQLSTATE.test(e.code) && e.name !== "PrismaClientKnownRequestError") return true;
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    queue.push(e.cause, e.meta?.driverAdapterError);
  }
  return false;
}
