// Sign-In with Ethereum (EIP-4361): single-use server nonces, and the checks of a signed message
// before a web session is opened. No `import "server-only"` (vitest and scripts import lib/auth),
// but only route handlers use it.
//
// A message is accepted once: its nonce was issued here less than `siweNonceTtlMs` ago and never
// used, its domain / URI are this site's, its chain is the configured network's, it is within its
// own validity window, and its signature verifies on that chain (EOAs, and smart accounts through
// ERC-1271 / ERC-6492 via viem's verifySiweMessage). The nonce is consumed atomically, so two
// concurrent submissions of one message open at most one session.
import { randomBytes } from "node:crypto";
import { getAddress, isHex, type PublicClient } from "viem";
import { parseSiweMessage } from "viem/siwe";
import { z } from "zod";
import type { Db } from "@/lib/db";
import { isChainUnreachable } from "@/lib/chain/unreachable";
import { describeError } from "@/lib/redact";
import { WebAuthError } from "./web-auth-error";

/** How long an issued nonce can be signed and submitted. */
export const siweNonceTtlMs = 5 * 60_000;
/** Tolerated clock difference between the browser and the server for issued-at / not-before. */
const clockSkewMs = 60_000;
export const siweMaxMessageLength = 4096;

/** A new nonce: 128 random bits as 32 hex characters (EIP-4361 wants ≥ 8 alphanumerics). */
export async function issueSiweNonce(db: Db, now = new Date()): Promise<{ nonce: string; expiresAt: Date }> {
  const nonce = randomBytes(16).toString("hex");
  const expiresAt = new Date(now.getTime() + siweNonceTtlMs);
  await db.siweNonce.create({ data: { nonce, createdAt: now, expiresAt } });
  return { nonce, expiresAt };
}

export const siweVerifyRequest = z.object({
  message: z.string().min(1).max(siweMaxMessageLength),
  signature: z
    .string()
    .max(20_000)
    .refine((s) => isHex(s) && s.length >= 4, "must be 0x-prefixed hex"),
});

export interface SiweExpectations {
  /** The site's host as the browser sees it (`window.location.host`), e.g. `localhost:3000`. */
  domain: string;
  /** The site's origin, e.g. `http://localhost:3000`: the message's URI must be on it. */
  origin: string;
  chainId: number;
}

/** The address that signed `message` (checksummed), once every check passed and the nonce is consumed. */
export async function verifySiweSignIn(
  db: Db,
  chain: Pick<PublicClient, "verifySiweMessage" | "getBlockNumber">,
  input: { message: string; signature: `0x${string}` },
  expected: SiweExpectations,
  now = new Date(),
): Promise<`0x${string}`> {
  const fields = parseSiweMessage(input.message);
  const { address, domain, uri, nonce, chainId, version, issuedAt } = fields;
  if (!address || !domain || !uri || !nonce || chainId === undefined || version !== "1" || !issuedAt || Number.isNaN(issuedAt.getTime())) {
    throw new WebAuthError("invalid_request", "This is not a complete Sign-In with Ethereum (EIP-4361) message.");
  }
  if (domain !== expected.domain) {
    throw new WebAuthError("domain_mismatch", `This message signs in to ${domain.slice(0, 200)}, not to ${expected.domain}. Sign in from ${expected.origin}.`);
  }
  if (!sameOrigin(uri, expected.origin)) {
    throw new WebAuthError("uri_mismatch", `This message is for ${uri.slice(0, 200)}, not for ${expected.origin}.`);
  }
  if (chainId !== expected.chainId) {
    throw new WebAuthError("chain_mismatch", `This message was signed for chain ${chainId}; this portal runs on chain ${expected.chainId}. Switch your wallet's network and sign in again.`);
  }
  const t = now.getTime();
  if (fields.expirationTime && fields.expirationTime.getTime() <= t) {
    throw new WebAuthError("message_expired", "This sign-in message has expired: sign a new one.");
  }
  if ((fields.notBefore && fields.notBefore.getTime() > t + clockSkewMs) || issuedAt.getTime() > t + clockSkewMs) {
    throw new WebAuthError("message_not_yet_valid", "This sign-in message is not valid yet: check your device's clock.");
  }

  // Cheap refusals first (no chain call for a replay); the atomic consumption below decides races.
  const stored = await db.siweNonce.findUnique({ where: { nonce } });
  nonceRefusal(stored, t);

  let valid: boolean;
  try {
    valid = await chain.verifySiweMessage({ message: input.message, signature: input.signature, address, domain, nonce, time: now });
  } catch (error) {
    // A chain that cannot be reached is an outage (the nonce stays usable); a signature that does not even parse makes viem throw too.
    console.error(`siwe: signature verification failed to run: ${describeError(error)}`);
    if (isChainUnreachable(error)) throw chainUnavailable();
    throw new WebAuthError("signature_invalid", "The signature could not be verified for this address.");
  }
  if (!valid) {
    // viem answers false, not an error, when the chain call a smart account's signature needs
    // (ERC-1271 / ERC-6492) fails: a chain that does not answer makes it an outage, not a refusal.
    if (await chainIsDown(chain)) throw chainUnavailable();
    throw new WebAuthError("signature_invalid", "The signature does not match this message and address.");
  }

  const consumed = await db.siweNonce.updateMany({ where: { nonce, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  if (consumed.count !== 1) {
    nonceRefusal(await db.siweNonce.findUnique({ where: { nonce } }), t);
    throw new WebAuthError("nonce_used", "This sign-in message was already used: sign a new one.");
  }
  return getAddress(address);
}

function chainUnavailable(): WebAuthError {
  return new WebAuthError("chain_unavailable", "The chain cannot be reached to verify your signature right now. Please try again in a moment.");
}

async function chainIsDown(chain: Pick<PublicClient, "getBlockNumber">): Promise<boolean> {
  try {
    await chain.getBlockNumber({ cacheTime: 0 });
    return false;
  } catch (error) {
    return isChainUnreachable(error);
  }
}

function nonceRefusal(stored: { usedAt: Date | null; expiresAt: Date } | null, t: number): void {
  if (!stored) throw new WebAuthError("nonce_unknown", "This sign-in message's nonce was not issued here (or is long gone): sign a new one.");
  if (stored.usedAt) throw new WebAuthError("nonce_used", "This sign-in message was already used: sign a new one.");
  if (stored.expiresAt.getTime() <= t) throw new WebAuthError("nonce_expired", "This sign-in message's nonce has expired: sign a new one.");
}

function sameOrigin(uri: string, origin: string): boolean {
  try {
    return new URL(uri).origin === origin;
  } catch {
    return false;
  }
}

/**
 * A fixed-window counter per client address plus one for all clients together, so neither one
 * client nor many spoofed ones can exhaust what it guards (e.g. the nonce table). Bounded: at most `maxClients`
 * windows are kept, the oldest dropped first.
 */
export class ClientRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly options: { perClient: number; total: number; windowMs: number; maxClients?: number; now?: () => number; /** "Too many …" */ what?: string },
  ) {}

  /** Counts one issuance for `client`; throws `rate_limited` (429, with Retry-After) when over a limit. */
  take(client: string): void {
    const now = (this.options.now ?? Date.now)();
    for (const [key, limit] of [["*", this.options.total], [`c:${client}`, this.options.perClient]] as const) {
      let window = this.windows.get(key);
      if (!window || now - window.start >= this.options.windowMs) window = { start: now, count: 0 };
      if (window.count >= limit) {
        const retryAfter = Math.max(1, Math.ceil((window.start + this.options.windowMs - now) / 1000));
        throw new WebAuthError("rate_limited", `Too many ${this.options.what ?? "sign-in attempts"}: try again in ${retryAfter} s.`, { "retry-after": String(retryAfter) });
      }
      window.count++;
      this.windows.delete(key); // re-insert: Map order is then recency order
      this.windows.set(key, window);
    }
    const max = this.options.maxClients ?? 10_000;
    for (const key of this.windows.keys()) {
      if (this.windows.size <= max) break;
      if (key !== "*") this.windows.delete(key);
    }
  }
}
