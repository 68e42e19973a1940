// Sign-In with Ethereum and web sessions through the real route handlers of app/api/auth, on a
// real database (PGlite) and a real chain (anvil verifies the signatures, as ERC-6492 needs).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSiweMessage } from "viem/siwe";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { ANVIL_CHAIN_ID, devAccounts, startAnvil, type Anvil } from "@/lib/chain/anvil";
import { createPrismaClient, type Db } from "@/lib/db";
import { pgliteBackend, type FreshDatabase } from "../db/backends";
import { stampPeerAddress } from "@/lib/http/client-address";
import { migratedDatabase } from "./fixture";

const site = "http://portal.test:3000";
const alice = devAccounts[5];
const mallory = privateKeyToAccount(generatePrivateKey());

let anvil: Anvil;
let database: FreshDatabase;
let db: Db;
let routes: {
  nonce: (r: Request) => Promise<Response>;
  verify: (r: Request) => Promise<Response>;
  session: (r: Request) => Promise<Response>;
  signOut: (r: Request) => Promise<Response>;
};
let webSession: typeof import("@/lib/auth/web-session");

beforeAll(async () => {
  [anvil, database] = await Promise.all([startAnvil({ silent: true }), migratedDatabase(pgliteBackend)]);
  // The routes read the app's environment (lib/env) on first use: point it at this test's parts,
  // the embedded database as `npm start` does (PGLITE_PORT: one connection, as PGlite wants).
  Object.assign(process.env, { CHAIN: "local", RPC_URL: anvil.rpcUrl, DATABASE_URL: "", PGLITE_PORT: new URL(database.url).port, APP_ORIGIN: "" });
  db = createPrismaClient(database.url, { poolSize: 1 });
  const [nonce, verify, session, signOut] = await Promise.all([
    import("@/app/api/auth/nonce/route"),
    import("@/app/api/auth/verify/route"),
    import("@/app/api/auth/session/route"),
    import("@/app/api/auth/sign-out/route"),
  ]);
  routes = { nonce: (r) => nonce.POST(r), verify: (r) => verify.POST(r), session: (r) => session.GET(r), signOut: (r) => signOut.POST(r) };
  webSession = await import("@/lib/auth/web-session");
});

afterAll(async () => {
  await db?.$disconnect();
  await (await import("@/lib/db")).db().$disconnect();
  await Promise.all([anvil?.stop(), database?.drop()]);
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${site}${path}`, { method: "POST", headers: { origin: site, "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

async function newNonce(headers: Record<string, string> = {}): Promise<string> {
  const response = await routes.nonce(post("/api/auth/nonce", {}, headers));
  expect(response.status).toBe(200);
  return ((await response.json()) as { nonce: string }).nonce;
}

type Signer = { address: `0x${string}`; signMessage(args: { message: string }): Promise<`0x${string}`> };

async function signedMessage(signer: Signer = alice, overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}) {
  const message = createSiweMessage({
    domain: "portal.test:3000",
    uri: `${site}/dashboard`,
    version: "1",
    chainId: ANVIL_CHAIN_ID,
    address: signer.address,
    nonce: overrides.nonce ?? (await newNonce()),
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + 10 * 60_000),
    statement: "Sign in to the Morpheus portal.",
    ...overrides,
  });
  return { message, signature: await signer.signMessage({ message }) };
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

function cookieToken(response: Response): string {
  const match = /morpheus_session=([^;]*)/.exec(response.headers.get("set-cookie") ?? "");
  expect(match).not.toBeNull();
  return match![1];
}

async function signedInAs(token: string): Promise<string | null> {
  const response = await routes.session(new Request(`${site}/api/auth/session`, { headers: { cookie: `morpheus_session=${token}` } }));
  return ((await response.json()) as { user: { address: string } | null }).user?.address ?? null;
}

describe("Sign-In with Ethereum", () => {
  it("signs in: an httpOnly SameSite=Lax cookie whose token is stored only as a hash", async () => {
    const response = await routes.verify(post("/api/auth/verify", await signedMessage()));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ address: alice.address });
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=60479\d/);
    const token = cookieToken(response);
    expect(await signedInAs(token)).toBe(alice.address);
    const rows = await db.webSession.findMany({ include: { user: true } });
    expect(rows.map((row) => row.user.address)).toContain(alice.address.toLowerCase());
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("signs in a new wallet twice at once: two sessions, one user", async () => {
    const fresh = privateKeyToAccount(generatePrivateKey());
    const [a, b] = await Promise.all([signedMessage(fresh), signedMessage(fresh)]);
    const statuses = await Promise.all([a, b].map(async (signed) => (await routes.verify(post("/api/auth/verify", signed))).status));
    expect(statuses).toEqual([200, 200]);
    expect(await db.user.count({ where: { address: fresh.address.toLowerCase() } })).toBe(1);
  });

  it("refuses a replayed message (409 nonce_used)", async () => {
    const signed = await signedMessage();
    expect((await routes.verify(post("/api/auth/verify", signed))).status).toBe(200);
    expect(await errorOf(await routes.verify(post("/api/auth/verify", signed)))).toMatchObject({ status: 409, code: "nonce_used" });
  });

  it("refuses a new message reusing a consumed nonce (409 nonce_used)", async () => {
    const first = await signedMessage();
    expect((await routes.verify(post("/api/auth/verify", first))).status).toBe(200);
    const nonce = /Nonce: (\w+)/.exec(first.message)![1];
    const again = await signedMessage(alice, { nonce, statement: "A different statement." });
    expect(await errorOf(await routes.verify(post("/api/auth/verify", again)))).toMatchObject({ status: 409, code: "nonce_used" });
  });

  it("opens one session when the same message is submitted twice at once", async () => {
    const signed = await signedMessage();
    const before = await db.webSession.count();
    const statuses = (await Promise.all([1, 2, 3].map(() => routes.verify(post("/api/auth/verify", signed))))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    expect(await db.webSession.count()).toBe(before + 1);
  });

  it("refuses an expired nonce (401 nonce_expired) and one never issued (401 nonce_unknown)", async () => {
    const nonce = await newNonce();
    await db.siweNonce.update({ where: { nonce }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await errorOf(await routes.verify(post("/api/auth/verify", await signedMessage(alice, { nonce }))))).toMatchObject({ status: 401, code: "nonce_expired" });
    const forged = await signedMessage(alice, { nonce: "0123456789abcdef0123456789abcdef" });
    expect(await errorOf(await routes.verify(post("/api/auth/verify", forged)))).toMatchObject({ status: 401, code: "nonce_unknown" });
  });

  it("refuses a message for another domain (403 domain_mismatch) or another site URI (403 uri_mismatch)", async () => {
    const foreign = await errorOf(await routes.verify(post("/api/auth/verify", await signedMessage(alice, { domain: "evil.example" }))));
    expect(foreign).toMatchObject({ status: 403, code: "domain_mismatch" });
    expect(foreign.message).toContain("evil.example");
    const uri = await errorOf(await routes.verify(post("/api/auth/verify", await signedMessage(alice, { uri: "https://evil.example/login" }))));
    expect(uri).toMatchObject({ status: 403, code: "uri_mismatch" });
  });

  it("refuses a message for another chain (400 chain_mismatch)", async () => {
    const error = await errorOf(await routes.verify(post("/api/auth/verify", await signedMessage(alice, { chainId: 8453 }))));
    expect(error).toMatchObject({ status: 400, code: "chain_mismatch" });
    expect(error.message).toContain("31337");
  });

  it("refuses an expired message and a signature by another key (401)", async () => {
    const expired = await signedMessage(alice, { issuedAt: new Date(Date.now() - 120_000), expirationTime: new Date(Date.now() - 60_000) });
    expect(await errorOf(await routes.verify(post("/api/auth/verify", expired)))).toMatchObject({ status: 401, code: "message_expired" });
    // Mallory signs a message that claims to be Alice's.
    const claimed = await signedMessage(alice);
    const forged = { message: claimed.message, signature: await mallory.signMessage({ message: claimed.message }) };
    expect(await errorOf(await routes.verify(post("/api/auth/verify", forged)))).toMatchObject({ status: 401, code: "signature_invalid" });
    // The nonce of a refused signature stays usable by its rightful signer.
    expect((await routes.verify(post("/api/auth/verify", claimed))).status).toBe(200);
  });

  it("a signature only the chain can check (a smart account's, ERC-1271/6492) gets 503 chain_unavailable, not 401, while the chain is unreachable; an EOA's verifies without it", async () => {
    const { issueSiweNonce, verifySiweSignIn } = await import("@/lib/auth/siwe");
    const { WebAuthError } = await import("@/lib/auth/web-auth-error");
    const { createPublicClient, http } = await import("viem");
    const { foundry } = await import("viem/chains");
    // A real RPC client whose node is gone: nothing listens on the discard port.
    const down = createPublicClient({ chain: foundry, transport: http("http://127.0.0.1:9", { retryCount: 0, timeout: 2_000 }) });
    const expected = { domain: "portal.test:3000", origin: site, chainId: ANVIL_CHAIN_ID };
    // Not alice's own key: only the chain can say whether alice's address accepts it (as a contract would).
    // (Nonces issued directly: the nonce route's per-address limit is for the other tests.)
    const { message } = await signedMessage(alice, { nonce: (await issueSiweNonce(db)).nonce });
    const forContract = { message, signature: await mallory.signMessage({ message }) };
    const refusal = await verifySiweSignIn(db, down, forContract, expected).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WebAuthError);
    expect(refusal).toMatchObject({ code: "chain_unavailable", status: 503 });
    // An EOA's own signature is checked locally: signing in does not depend on the chain.
    expect(await verifySiweSignIn(db, down, await signedMessage(alice, { nonce: (await issueSiweNonce(db)).nonce }), expected)).toBe(alice.address);
  });

  it("refuses malformed bodies with 400 invalid_request", async () => {
    expect(await errorOf(await routes.verify(post("/api/auth/verify", { message: "hello", signature: "0x1234" })))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await routes.verify(post("/api/auth/verify", { message: "x".repeat(5000), signature: "0x12" })))).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("refuses state-changing requests from a foreign or missing Origin (403 forbidden_origin)", async () => {
    const signed = await signedMessage();
    const foreign = await errorOf(await routes.verify(post("/api/auth/verify", signed, { origin: "https://evil.example" })));
    expect(foreign).toMatchObject({ status: 403, code: "forbidden_origin" });
    const request = new Request(`${site}/api/auth/nonce`, { method: "POST" });
    expect(await errorOf(await routes.nonce(request))).toMatchObject({ status: 403, code: "forbidden_origin" });
    // The message was not consumed by the refused request.
    expect((await routes.verify(post("/api/auth/verify", signed))).status).toBe(200);
  });

  it("limits nonce issuance per client address (429 with Retry-After); the address a client writes in X-Forwarded-For is not it", async () => {
    // What the server does to each request (lib/http/peer-address-server.ts): the socket's address appended.
    const from = (socketAddress: string, claimed?: string) => {
      const headers: Record<string, string> = claimed ? { "x-forwarded-for": claimed } : {};
      stampPeerAddress(headers, socketAddress);
      return headers;
    };
    for (let i = 0; i < 20; i++) await newNonce(from("203.0.113.9", `198.51.100.${i}`));
    const response = await routes.nonce(post("/api/auth/nonce", {}, from("203.0.113.9", "198.51.100.99")));
    expect(await errorOf(response.clone())).toMatchObject({ status: 429, code: "rate_limited" });
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    await newNonce(from("203.0.113.10", "203.0.113.9"));
  });
});

describe("web sessions", () => {
  async function signIn(): Promise<string> {
    return cookieToken(await routes.verify(post("/api/auth/verify", await signedMessage())));
  }

  it("signs out: the session is revoked server-side, the cookie deleted", async () => {
    const token = await signIn();
    const response = await routes.signOut(post("/api/auth/sign-out", {}, { cookie: `morpheus_session=${token}` }));
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toMatch(/morpheus_session=;.*Max-Age=0/);
    // A copy of the old cookie no longer signs anyone in.
    expect(await signedInAs(token)).toBeNull();
    expect((await db.webSession.findMany({ where: { revokedAt: { not: null } } })).length).toBeGreaterThan(0);
  });

  it("refuses a sign-out from another origin (the session stays)", async () => {
    const token = await signIn();
    const response = await routes.signOut(post("/api/auth/sign-out", {}, { cookie: `morpheus_session=${token}`, origin: "https://evil.example" }));
    expect(response.status).toBe(403);
    expect(await signedInAs(token)).toBe(alice.address);
  });

  it("signing in again in the same browser ends its previous session", async () => {
    const first = await signIn();
    const second = cookieToken(await routes.verify(post("/api/auth/verify", await signedMessage(), { cookie: `morpheus_session=${first}` })));
    expect(await signedInAs(first)).toBeNull();
    expect(await signedInAs(second)).toBe(alice.address);
  });

  it("withWebSession: 401 without a session, the user with one, 403 for a foreign Origin", async () => {
    const route = webSession.withWebSession(async ({ user }) => Response.json({ address: user.address }));
    const token = await signIn();
    const anonymous = await route(post("/api/example", {}));
    expect(await errorOf(anonymous)).toMatchObject({ status: 401, code: "unauthenticated" });
    expect(await (await route(post("/api/example", {}, { cookie: `other=1; morpheus_session=${token}` }))).json()).toEqual({ address: alice.address });
    const foreign = await route(post("/api/example", {}, { cookie: `morpheus_session=${token}`, origin: "http://portal.test:3001" }));
    expect(await errorOf(foreign)).toMatchObject({ status: 403, code: "forbidden_origin" });
    // Reads need no Origin (safe methods change nothing).
    const read = await route(new Request(`${site}/api/example`, { headers: { cookie: `morpheus_session=${token}` } }));
    expect(read.status).toBe(200);
    // A token of the wrong shape or an unknown one is no session.
    expect((await route(post("/api/example", {}, { cookie: "morpheus_session=abc" }))).status).toBe(401);
    expect((await route(post("/api/example", {}, { cookie: `morpheus_session=${"A".repeat(43)}` }))).status).toBe(401);
  });

  it("expired sessions sign no one in, and the cleanup deletes expired nonces and dead sessions", async () => {
    const token = await signIn();
    await db.webSession.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await signedInAs(token)).toBeNull();
    await db.siweNonce.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    await webSession.pruneWebAuthRows(db, new Date(), { force: true });
    expect(await db.webSession.count()).toBe(0);
    expect(await db.siweNonce.count()).toBe(0);
  });
});
