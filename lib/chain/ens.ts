// ENS names for the header: only on a network whose chain has an ENS universal resolver (viem's
// chain definition says so). None of the networks configured today has one (Base and Arbitrum
// resolve no ENS, local anvil neither), so there the address is shown and no RPC call is made.
import "server-only";
import type { Address } from "viem";
import { describeError } from "@/lib/redact";
import { activeNetwork, chainRpc, publicClient } from "./config";

const ttlMs = 10 * 60_000;
const maxEntries = 1000;
const deadlineMs = 2_000;
const names = new Map<string, { at: number; name: string | null }>();

/** True when the configured network can resolve ENS names. */
export function networkHasEns(): boolean {
  return activeNetwork().chain.contracts?.ensUniversalResolver !== undefined;
}

/** The primary ENS name of `address`, or null (no ENS on this network, no name, or no answer within 2 s). Cached 10 minutes. */
export async function ensNameOf(address: Address): Promise<string | null> {
  if (!networkHasEns()) return null;
  const key = address.toLowerCase();
  const hit = names.get(key);
  if (hit && Date.now() - hit.at < ttlMs) return hit.name;
  let name: string | null = null;
  try {
    const lookup = publicClient(chainRpc()).getEnsName({ address });
    name = await Promise.race([lookup, new Promise<null>((resolve) => setTimeout(() => resolve(null), deadlineMs).unref())]);
  } catch (error) {
    console.error(`ENS lookup of ${address} failed: ${describeError(error)}`);
  }
  if (names.size >= maxEntries) names.delete(names.keys().next().value!);
  names.set(key, { at: Date.now(), name });
  return name;
}
