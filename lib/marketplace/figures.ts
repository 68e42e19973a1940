// The landing page's live figures: models, active bids, providers and sessions from the chain, and
// requests served from the database. Read at most every `ttlMs` per process (the landing page is
// the busiest page), concurrent views sharing one read, each read under a deadline; the chain and
// the database fail apart, so one being down still shows the other's figures.
import "server-only";
import { chainConfig, publicClient } from "@/lib/chain/config";
import { computeNodeAbi } from "@/lib/chain/contracts.generated";
import { getActiveProviders, readMany, type Reader } from "@/lib/chain/reads";
import { db } from "@/lib/db";
import { modelCatalog } from "@/lib/gateway";
import { describeError } from "@/lib/redact";
import { requestsServedSince } from "@/lib/usage";

export type Figure<T> = { ok: true; value: T } | { ok: false };

export interface MarketplaceFigures {
  chain: Figure<{ models: number; activeBids: number; providers: number; sessions: number }>;
  /** Requests the gateway served (status ok) in the last 24 hours. */
  requests24h: Figure<number>;
}

const ttlMs = 15_000;
const deadlineMs = 5_000;

function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function readChainFigures(): Promise<MarketplaceFigures["chain"]> {
  try {
    return await withDeadline(
      (async () => {
        const config = chainConfig();
        const reader: Reader = { client: publicClient(config), diamond: config.diamond };
        const [catalog, providers] = await Promise.all([modelCatalog(), getActiveProviders(reader)]);
        const perProvider = await readMany(providers, (provider) =>
          reader.client.readContract({ address: reader.diamond, abi: computeNodeAbi, functionName: "getTotalSessions", args: [provider] }),
        );
        return {
          ok: true as const,
          value: {
            models: catalog.length,
            activeBids: catalog.reduce((sum, model) => sum + model.bids.length, 0),
            providers: providers.length,
            sessions: Number(perProvider.reduce((sum, count) => sum + count, 0n)),
          },
        };
      })(),
      "chain figures",
    );
  } catch (error) {
    console.error(`landing figures: chain read failed: ${describeError(error)}`);
    return { ok: false };
  }
}

async function readDatabaseFigures(): Promise<MarketplaceFigures["requests24h"]> {
  try {
    return { ok: true, value: await withDeadline(requestsServedSince(db(), new Date(Date.now() - 86_400_000)), "request count") };
  } catch (error) {
    console.error(`landing figures: database read failed: ${describeError(error)}`);
    return { ok: false };
  }
}

const globalForFigures = globalThis as unknown as { morpheusFigures?: { at: number; value: Promise<MarketplaceFigures> } };

/** The figures, at most `ttlMs` old; a failed read is cached just as briefly, so a down chain is not hammered. */
export function marketplaceFigures(): Promise<MarketplaceFigures> {
  const cached = globalForFigures.morpheusFigures;
  if (cached && Date.now() - cached.at < ttlMs) return cached.value;
  const value = Promise.all([readChainFigures(), readDatabaseFigures()]).then(([chain, requests24h]) => ({ chain, requests24h }));
  globalForFigures.morpheusFigures = { at: Date.now(), value };
  return value;
}
