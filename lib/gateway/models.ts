// The gateway's model directory: the live on-chain catalog under OpenAI-style ids, and the bids
// of a model ranked by the Morpheus rating. Both are cached briefly: the chain changes slowly and
// a request should not pay several RPC round trips to learn what it learned a second ago. One
// directory per process serves the API and the site's pages alike (see runtime.ts).
import { BlockList, isIP } from "node:net";
import type { Address, Hex } from "viem";
import { listModelOffers, type ModelOffer } from "@/lib/chain/catalog";
import { getMarketplaceSettings, getModelStats, getProviderModelStats, readMany, type Reader } from "@/lib/chain/reads";
import type { SessionOffer } from "@/lib/consumer";
import { parseEndpoint } from "@/lib/morrpc/endpoint";
import { rankBids, type RatingWeights } from "./rating";

export interface GatewayModel {
  /** What API users pass as `model`: the on-chain name, or the model id when names collide. */
  id: string;
  modelId: Hex;
  name: string;
  tags: readonly string[];
  owner: Address;
  /** Unix seconds. */
  createdAt: bigint;
  offers: ModelOffer["bids"];
}

export interface RankedOffer extends SessionOffer {
  score: number;
}

/** A bytes32 model id as API users write it. A model *named* like one is listed and resolved by its own id only. */
const MODEL_ID = /^0x[0-9a-fA-F]{64}$/;

/** Whether an API key limited to `allowed` (ids, API ids or names; empty = all) may use `model`. */
export function keyMayUse(allowed: readonly string[], model: GatewayModel): boolean {
  // A name that looks like an id never matches by name: it could be another model's id.
  return allowed.length === 0 || allowed.some((a) => a === model.id || a.toLowerCase() === model.modelId || (a === model.name && !MODEL_ID.test(model.name)));
}

// Addresses no provider on a public chain may point the gateway at: the gateway's own host and
// network (loopback, private, link-local, CGNAT, unspecified, multicast and reserved ranges).
const nonPublic = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 3],
] as const) nonPublic.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8]] as const) nonPublic.addSubnet(net, prefix, "ipv6");

/**
 * Whether the gateway may dial `endpoint`: the one endpoint rule (lib/morrpc/endpoint.ts), and on a
 * public chain no literal address of a loopback, private or link-local network and no localhost.
 * (A DNS name is not resolved here; see the report on DNS rebinding.)
 */
export function isDialableEndpoint(endpoint: string, { allowPrivate }: { allowPrivate: boolean }): boolean {
  const parsed = parseEndpoint(endpoint);
  if (!parsed) return false;
  if (allowPrivate) return true;
  const host = parsed.host.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return false;
  const family = isIP(host);
  if (family === 4) return !nonPublic.check(host, "ipv4");
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
    return mapped ? !nonPublic.check(mapped, "ipv4") : !nonPublic.check(host, "ipv6");
  }
  // A name made of digits and dots that is no valid IPv4 address (e.g. 127.1) is refused: resolvers read it as one.
  return !/^[\d.]+$/.test(host);
}

/** A value recomputed at most every `ttlMs`, concurrent callers sharing one computation. */
class Cached<T> {
  private value: { at: number; data: T } | undefined;
  private pending: Promise<T> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Promise<T>,
  ) {}

  get(): Promise<T> {
    if (this.value && Date.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.data);
    this.pending ??= this.load()
      .then((data) => {
        this.value = { at: Date.now(), data };
        return data;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(): void {
    this.value = undefined;
  }
}

export class ModelDirectory {
  private readonly catalog: Cached<{ offers: ModelOffer[]; models: GatewayModel[] }>;
  private readonly rankings = new Map<Hex, Cached<RankedOffer[]>>();

  constructor(
    private readonly reader: Reader,
    private readonly options: {
      weights: RatingWeights;
      providerAllowlist?: readonly Address[];
      /** Bids above this price are never used (the operator's GATEWAY_MAX_PRICE_PER_HOUR). */
      maxPricePerSecond?: bigint;
      /** False on public chains: offers whose endpoint is a loopback, private or link-local address are dropped. */
      allowPrivateEndpoints?: boolean;
      catalogTtlMs?: number;
      ratingTtlMs?: number;
    },
  ) {
    this.catalog = new Cached(options.catalogTtlMs ?? 10_000, () => this.loadCatalog());
  }

  list(): Promise<GatewayModel[]> {
    return this.catalog.get().then((c) => c.models);
  }

  /** The catalog as the chain has it (models by name, each with its bids cheapest first), from the same cache. */
  offers(): Promise<ModelOffer[]> {
    return this.catalog.get().then((c) => c.offers);
  }

  /** By API id, on-chain name or 0x model id; undefined when no active model matches. */
  async resolve(requested: string): Promise<GatewayModel | undefined> {
    const models = await this.list();
    const wanted = requested.trim();
    // An id wins over everything: a model named "0x<another model's id>" cannot capture it.
    if (MODEL_ID.test(wanted)) return models.find((m) => m.modelId === wanted.toLowerCase());
    return models.find((m) => m.id === wanted) ?? models.find((m) => m.name === wanted);
  }

  /** The model's active bids, best-rated first (cached per model). */
  rankedOffers(model: GatewayModel): Promise<RankedOffer[]> {
    let cached = this.rankings.get(model.modelId);
    if (!cached) {
      cached = new Cached(this.options.ratingTtlMs ?? 30_000, () => this.rank(model.modelId));
      this.rankings.set(model.modelId, cached);
    }
    return cached.get();
  }

  /** Forget cached stats, e.g. after closing sessions changed them. */
  invalidate(): void {
    this.catalog.invalidate();
    for (const ranking of this.rankings.values()) ranking.invalidate();
  }

  private async loadCatalog(): Promise<{ offers: ModelOffer[]; models: GatewayModel[] }> {
    const offers = await listModelOffers(this.reader);
    const nameCount = new Map<string, number>();
    for (const m of offers) nameCount.set(m.name, (nameCount.get(m.name) ?? 0) + 1);
    const models = offers.map((m) => ({
      id: nameCount.get(m.name) === 1 && m.name.trim() !== "" && !MODEL_ID.test(m.name.trim()) ? m.name : m.modelId,
      modelId: m.modelId.toLowerCase() as Hex,
      name: m.name,
      tags: m.tags,
      owner: m.owner,
      createdAt: m.createdAt,
      offers: m.bids,
    }));
    return { offers, models };
  }

  private async rank(modelId: Hex): Promise<RankedOffer[]> {
    const model = (await this.list()).find((m) => m.modelId === modelId);
    if (!model) return [];
    const allow = this.options.providerAllowlist?.map((a) => a.toLowerCase());
    const { maxPricePerSecond, allowPrivateEndpoints = true } = this.options;
    // An offer the gateway must not or cannot use never reaches the pool (an endpoint its table
    // cannot hold or no consumer can dial, a target inside the gateway's network, a price over the cap).
    const offers = model.offers.filter(
      (o) =>
        (!allow?.length || allow.includes(o.provider.toLowerCase())) &&
        isDialableEndpoint(o.providerEndpoint, { allowPrivate: allowPrivateEndpoints }) &&
        (maxPricePerSecond === undefined || o.pricePerSecond <= maxPricePerSecond),
    );
    const [settings, modelStats, providerStats] = await Promise.all([
      getMarketplaceSettings(this.reader),
      getModelStats(this.reader, modelId),
      readMany(offers, (o) => getProviderModelStats(this.reader, modelId, o.provider)),
    ]);
    const ranked = rankBids(
      offers.map((o, i) => ({
        offer: o,
        pricePerSecond: o.pricePerSecond,
        providerStake: o.providerStake,
        minProviderStake: settings.providerMinimumStake,
        providerModel: providerStats[i],
        model: modelStats,
      })),
      this.options.weights,
    );
    return ranked.map(({ offer, score }) => ({
      bidId: offer.bidId,
      provider: offer.provider,
      endpoint: offer.providerEndpoint,
      pricePerSecond: offer.pricePerSecond,
      score,
    }));
  }
}
