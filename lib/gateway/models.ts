// The gateway's model directory: the live on-chain catalog under OpenAI-style ids, and the bids
// of a model with their on-chain stats and Morpheus rating. Both are cached briefly: the chain
// changes slowly and a request should not pay several RPC round trips to learn what it learned a
// second ago. The API (/api/v1/models), the session pool and the catalog pages read the same cache.
import type { Address, Hex } from "viem";
import { listModelOffers, type ModelOffer } from "@/lib/chain/catalog";
import { getMarketplaceSettings, getModelStats, getProviderModelStats, readMany, type MarketplaceSettings, type Reader } from "@/lib/chain/reads";
import type { SessionOffer } from "@/lib/consumer";
import { isPrivateEndpointHost, parseEndpoint } from "@/lib/morrpc/endpoint";
import { scoreBid, type ProviderModelStats, type RatingWeights } from "./rating";

export interface GatewayModel {
  /** What API users pass as `model`: the on-chain name, or the model id when names collide. */
  id: string;
  modelId: Hex;
  name: string;
  tags: readonly string[];
  owner: Address;
  /** MOR the model owner staked, in wei. */
  stake: bigint;
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

/**
 * Whether the gateway may dial `endpoint`: the one endpoint rule (lib/morrpc/endpoint.ts), and on a
 * public chain no host of a loopback, private or link-local network (isPrivateEndpointHost). A DNS
 * name is not resolved here (the /status pinger does resolve before pinging).
 */
export function isDialableEndpoint(endpoint: string, { allowPrivate }: { allowPrivate: boolean }): boolean {
  const parsed = parseEndpoint(endpoint);
  if (!parsed) return false;
  if (allowPrivate) return true;
  return !isPrivateEndpointHost(parsed.host);
}

/** A provider's record for one model, from the contract's stats views (sessions closed with a receipt). */
export interface ProviderModelSummary {
  /** Sessions closed, disputes included (the contract's totalCount). */
  sessions: number;
  /** successCount / totalCount; undefined before the first closed session. */
  successRate: number | undefined;
  /** Mean time to first token over the provider-signed receipts; undefined without one. */
  ttftMs: number | undefined;
  /** Mean tokens per second over the provider-signed receipts; undefined without one. */
  tokensPerSecond: number | undefined;
}

/** An active bid with what the gateway knows about it. */
export interface RatedBid {
  offer: ModelOffer["bids"][number];
  stats: ProviderModelSummary;
  /** The Morpheus rating (higher is better; it falls with the price); undefined when not a finite number. */
  score: number | undefined;
  /** False when the gateway will not use this bid: outside GATEWAY_PROVIDER_ALLOWLIST, over GATEWAY_MAX_PRICE_PER_HOUR, or an endpoint it may not dial. */
  usedByGateway: boolean;
}

/** A catalog model with its bids rated, best-rated first. */
export interface CatalogModel extends GatewayModel {
  bids: RatedBid[];
}

export function summarizeProviderStats(stats: ProviderModelStats): ProviderModelSummary {
  const measured = stats.successCount > 0;
  return {
    sessions: stats.totalCount,
    successRate: stats.totalCount > 0 ? stats.successCount / stats.totalCount : undefined,
    ttftMs: measured ? Number(stats.ttftMs.mean) : undefined,
    tokensPerSecond: measured ? Number(stats.tpsScaled1000.mean) / 1000 : undefined,
  };
}

function sameOffers(a: readonly ModelOffer["bids"][number][], b: readonly ModelOffer["bids"][number][]): boolean {
  const key = (o: ModelOffer["bids"][number]) => `${o.bidId} ${o.providerEndpoint} ${o.pricePerSecond} ${o.providerStake}`;
  const keys = new Set(a.map(key));
  return a.length === b.length && b.every((o) => keys.has(key(o)));
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
  private readonly catalog: Cached<GatewayModel[]>;
  private readonly ratings = new Map<Hex, Cached<RatedBid[]>>();
  private loadedOffers: ModelOffer[] = [];
  // The provider minimum stake is a rating input of every bid: read once per catalog refresh, not per model.
  private readonly settings: Cached<MarketplaceSettings>;

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
    this.settings = new Cached(options.catalogTtlMs ?? 10_000, () => getMarketplaceSettings(this.reader));
  }

  list(): Promise<GatewayModel[]> {
    return this.catalog.get();
  }

  /** The catalog as the chain has it (models by name, each with its bids cheapest first), from the same cache. */
  async offers(): Promise<ModelOffer[]> {
    await this.catalog.get();
    return this.loadedOffers;
  }

  /** By API id, on-chain name or 0x model id; undefined when no active model matches. */
  async resolve(requested: string): Promise<GatewayModel | undefined> {
    const models = await this.list();
    const wanted = requested.trim();
    // An id wins over everything: a model named "0x<another model's id>" cannot capture it.
    if (MODEL_ID.test(wanted)) return models.find((m) => m.modelId === wanted.toLowerCase());
    return models.find((m) => m.id === wanted) ?? models.find((m) => m.name === wanted);
  }

  /** The model's active bids the gateway may use, best-rated first (cached per model). */
  async rankedOffers(model: GatewayModel): Promise<RankedOffer[]> {
    const rated = await this.ratedBids(model);
    return rated
      .filter((bid) => bid.usedByGateway && bid.score !== undefined)
      .map(({ offer, score }) => ({
        bidId: offer.bidId,
        provider: offer.provider,
        endpoint: offer.providerEndpoint,
        pricePerSecond: offer.pricePerSecond,
        score: score as number,
      }));
  }

  /**
   * Every active bid of the model with its provider's on-chain stats and rating, best-rated first
   * (cached per model). Stats may be up to ratingTtlMs old, the bids never older than the catalog:
   * a bid posted, deleted or repriced since the rating was computed has it computed again.
   */
  async ratedBids(model: GatewayModel): Promise<RatedBid[]> {
    let cached = this.ratings.get(model.modelId);
    if (!cached) {
      cached = new Cached(this.options.ratingTtlMs ?? 30_000, () => this.rate(model.modelId));
      this.ratings.set(model.modelId, cached);
    }
    const rated = await cached.get();
    if (sameOffers(rated.map((r) => r.offer), model.offers)) return rated;
    cached.invalidate();
    return cached.get();
  }

  /** The whole catalog with rated bids: what the catalog pages show. */
  async catalogWithRatings(): Promise<CatalogModel[]> {
    const models = await this.list();
    const rated = await Promise.all(models.map((m) => this.ratedBids(m)));
    return models.map((m, i) => ({ ...m, bids: rated[i] }));
  }

  /** Forget cached stats, e.g. after closing sessions changed them. */
  invalidate(): void {
    this.catalog.invalidate();
    this.settings.invalidate();
    for (const rating of this.ratings.values()) rating.invalidate();
  }

  private async loadCatalog(): Promise<GatewayModel[]> {
    const offers = await listModelOffers(this.reader);
    this.loadedOffers = offers;
    // Ratings of models that left the catalog are dropped, so the map stays as big as the catalog.
    const active = new Set(offers.map((m) => m.modelId.toLowerCase()));
    for (const modelId of this.ratings.keys()) if (!active.has(modelId)) this.ratings.delete(modelId);
    const nameCount = new Map<string, number>();
    for (const m of offers) nameCount.set(m.name, (nameCount.get(m.name) ?? 0) + 1);
    const models = offers.map((m) => ({
      id: nameCount.get(m.name) === 1 && m.name.trim() !== "" && !MODEL_ID.test(m.name.trim()) ? m.name : m.modelId,
      modelId: m.modelId.toLowerCase() as Hex,
      name: m.name,
      tags: m.tags,
      owner: m.owner,
      stake: m.stake,
      createdAt: m.createdAt,
      offers: m.bids,
    }));
    return models;
  }

  private async rate(modelId: Hex): Promise<RatedBid[]> {
    const model = (await this.list()).find((m) => m.modelId === modelId);
    if (!model) return [];
    const allow = this.options.providerAllowlist?.map((a) => a.toLowerCase());
    const { maxPricePerSecond, allowPrivateEndpoints = true } = this.options;
    // An offer the gateway must not or cannot use never reaches the pool (an endpoint its table
    // cannot hold or no consumer can dial, a target inside the gateway's network, a price over the cap).
    const usable = (o: ModelOffer["bids"][number]) =>
      (!allow?.length || allow.includes(o.provider.toLowerCase())) &&
      isDialableEndpoint(o.providerEndpoint, { allowPrivate: allowPrivateEndpoints }) &&
      (maxPricePerSecond === undefined || o.pricePerSecond <= maxPricePerSecond);
    const [settings, modelStats, providerStats] = await Promise.all([
      this.settings.get(),
      getModelStats(this.reader, modelId),
      readMany(model.offers, (o) => getProviderModelStats(this.reader, modelId, o.provider)),
    ]);
    const rated = model.offers.map((offer, i): RatedBid => {
      const score = scoreBid(
        {
          pricePerSecond: offer.pricePerSecond,
          providerStake: offer.providerStake,
          minProviderStake: settings.providerMinimumStake,
          providerModel: providerStats[i],
          model: modelStats,
        },
        this.options.weights,
      );
      return {
        offer,
        stats: summarizeProviderStats(providerStats[i]),
        score: Number.isFinite(score) ? score : undefined,
        usedByGateway: usable(offer),
      };
    });
    // Best first, as the gateway picks; unrated bids (no finite score) last, and never picked (as Go drops them).
    return rated.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity));
  }
}
