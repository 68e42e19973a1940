// Web sessions of wallet users (after Sign-In with Ethereum) and THE way pages and routes of the
// portal learn who is signed in:
//
//   Server components:  const user = await getWebUser();          // WebUser | null
//   Server actions:     const user = await requireWebUser();      // throws WebAuthError 401
//   Route handlers:     export const POST = withWebSession(async ({ request, user, params }) => …);
//                       (401 without a session; 403 when a state-changing request's Origin is not
//                       this site's; a WebAuthError thrown inside becomes its status + JSON body)
//   Public routes:      withWebRequest(async ({ request, user }) => …)  // same, user may be null
//
// The cookie holds a random 256-bit token; the database keeps only its SHA-256 (web_sessions.id),
// so a database leak gives no usable session. Sessions last `webSessionTtlMs` (absolute, no
// sliding) and end earlier on sign-out, which revokes the row.
import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { cache } from "react";
import { cookies } from "next/headers";
import { getAddress } from "viem";
import type { z } from "zod";
import { db as appDb, type Db } from "@/lib/db";
import { env } from "@/lib/env";
import { describeError } from "@/lib/redact";
import { assertSameOrigin, isSafeMethod, siteOrigin } from "./origin";
import { WebAuthError } from "./web-auth-error";

export const webSessionCookie = "morpheus_session";
export const webSessionTtlMs = 7 * 24 * 3600_000;
/** Largest JSON body `parseJsonBody` reads by default. */
const defaultMaxBodyBytes = 64 * 1024;

/** The signed-in wallet user of a request. */
export interface WebUser {
  /** users.id */
  id: string;
  /** Checksummed wallet address. */
  address: `0x${string}`;
  /** web_sessions.id: the SHA-256 of the cookie token. */
  sessionId: string;
  sessionExpiresAt: Date;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

// A token as issued: 43 base64url characters. Anything else is refused before the database.
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** Opens a session for `address` (creating its user on first sign-in); returns the cookie token. */
export async function openWebSession(db: Db, address: string, now = new Date()): Promise<{ token: string; user: WebUser }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + webSessionTtlMs);
  const lower = address.toLowerCase();
  // One unique field in `where` and `create`: Prisma runs this as INSERT … ON CONFLICT (no race between first sign-ins).
  const user = await db.user.upsert({ where: { address: lower }, create: { address: lower }, update: {} });
  const sessionId = hashToken(token);
  await db.webSession.create({ data: { id: sessionId, userId: user.id, createdAt: now, expiresAt } });
  void pruneWebAuthRows(db, now);
  return { token, user: { id: user.id, address: getAddress(lower), sessionId, sessionExpiresAt: expiresAt } };
}

/** The user of a live (unexpired, unrevoked) session token, or null. */
export async function findWebUser(db: Db, token: string | undefined, now = new Date()): Promise<WebUser | null> {
  if (!token || !tokenPattern.test(token)) return null;
  const session = await db.webSession.findUnique({ where: { id: hashToken(token) }, include: { user: true } });
  if (!session || session.revokedAt || session.expiresAt.getTime() <= now.getTime()) return null;
  return { id: session.userId, address: getAddress(session.user.address), sessionId: session.id, sessionExpiresAt: session.expiresAt };
}

/** Ends the session of `token` server-side (a stolen copy of the cookie stops working too). */
export async function revokeWebSession(db: Db, token: string | undefined, now = new Date()): Promise<void> {
  if (!token || !tokenPattern.test(token)) return;
  await db.webSession.updateMany({ where: { id: hashToken(token), revokedAt: null }, data: { revokedAt: now } });
}

let lastPrune = 0;
const pruneIntervalMs = 60_000;

/** Deletes expired nonces and dead sessions; runs at most once a minute per process. */
export async function pruneWebAuthRows(db: Db, now = new Date(), { force = false } = {}): Promise<void> {
  if (!force && now.getTime() - lastPrune < pruneIntervalMs) return;
  lastPrune = now.getTime();
  try {
    await db.siweNonce.deleteMany({ where: { expiresAt: { lt: now } } });
    await db.webSession.deleteMany({ where: { OR: [{ expiresAt: { lt: now } }, { revokedAt: { lt: now } }] } });
  } catch (error) {
    console.error(`web sessions: cleanup failed: ${describeError(error)}`);
  }
}

// ---- cookies ----

/** The token of the session cookie in a request's Cookie header. */
export function sessionTokenOf(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === webSessionCookie) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Secure on https, and in production unless the site is on a loopback host (http://localhost,
 * where `npm start` serves it; browsers would drop a Secure cookie on plain http elsewhere).
 */
function secureCookie(request: Request): boolean {
  const origin = new URL(siteOrigin(request));
  if (origin.protocol === "https:") return true;
  const loopback = origin.hostname === "localhost" || origin.hostname.startsWith("127.") || origin.hostname === "[::1]";
  return env().NODE_ENV === "production" && !loopback;
}

/** Set-Cookie value that stores `token` until the session expires. */
export function sessionCookieHeader(request: Request, token: string, expiresAt: Date, now = new Date()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  return [`${webSessionCookie}=${token}`, "Path=/", `Max-Age=${maxAge}`, "HttpOnly", "SameSite=Lax", ...(secureCookie(request) ? ["Secure"] : [])].join("; ");
}

/** Set-Cookie value that deletes the session cookie. */
export function clearedSessionCookieHeader(request: Request): string {
  return [`${webSessionCookie}=`, "Path=/", "Max-Age=0", "HttpOnly", "SameSite=Lax", ...(secureCookie(request) ? ["Secure"] : [])].join("; ");
}

// ---- server components and actions ----

/** The signed-in user of the current request (server components, server actions), or null. Once per request. */
export const getWebUser = cache(async (): Promise<WebUser | null> => {
  const token = (await cookies()).get(webSessionCookie)?.value;
  return findWebUser(appDb(), token);
});

/** The signed-in user, or a WebAuthError `unauthenticated` (401) — for server actions. */
export async function requireWebUser(): Promise<WebUser> {
  const user = await getWebUser();
  if (!user) throw new WebAuthError("unauthenticated", "Sign in with your wallet first.");
  return user;
}

// ---- route handlers ----

export interface WebRequestContext<P> {
  request: Request;
  user: WebUser | null;
  params: P;
  /** The database the handler should use (the app's; tests run routes against theirs through it too). */
  db: Db;
}
export type WebSessionContext<P> = WebRequestContext<P> & { user: WebUser };

type RouteArgs<P> = { params: Promise<P> };

/**
 * Wraps a cookie-authenticated route handler that may also serve anonymous visitors: checks the
 * Origin of state-changing methods, resolves the session, and maps errors (a WebAuthError to its
 * status and `{ error: { code, message } }`; anything else to a logged 500).
 */
export function withWebRequest<P = Record<string, string>>(handler: (ctx: WebRequestContext<P>) => Promise<Response> | Response) {
  return async (request: Request, route?: RouteArgs<P>): Promise<Response> => {
    try {
      if (!isSafeMethod(request.method)) assertSameOrigin(request);
      const db = appDb();
      const user = await findWebUser(db, sessionTokenOf(request));
      const params = ((await route?.params) ?? {}) as P;
      return await handler({ request, user, params, db });
    } catch (error) {
      return webErrorResponse(error, request);
    }
  };
}

/** Like withWebRequest, but only for a signed-in user: 401 `unauthenticated` otherwise. */
export function withWebSession<P = Record<string, string>>(handler: (ctx: WebSessionContext<P>) => Promise<Response> | Response) {
  return withWebRequest<P>((ctx) => {
    if (!ctx.user) throw new WebAuthError("unauthenticated", "Sign in with your wallet first (or your session has ended).");
    return handler(ctx as WebSessionContext<P>);
  });
}

/** Maps anything thrown in a web route to its response; unexpected causes are logged, not shown. */
export function webErrorResponse(error: unknown, request: Request): Response {
  if (error instanceof WebAuthError) return error.toResponse();
  console.error(`${request.method} ${new URL(request.url).pathname} failed: ${describeError(error, { stack: true })}`);
  return new WebAuthError("internal_error", "The server failed to process this request; please try again.").toResponse();
}

/** Reads a JSON body of at most `maxBytes` and validates it; 400 `invalid_request` naming the field otherwise. */
export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S, maxBytes = defaultMaxBodyBytes): Promise<z.infer<S>> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw new WebAuthError("invalid_request", `The request body is over ${maxBytes} bytes.`);
  const text = await readLimited(request, maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebAuthError("invalid_request", "The request body is not valid JSON.");
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new WebAuthError("invalid_request", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  return result.data;
}

async function readLimited(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new WebAuthError("invalid_request", `The request body is over ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
