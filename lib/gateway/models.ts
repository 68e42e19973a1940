// The gateway's model directory: the live on-chain catalog under OpenAI-style ids, and the bids
// of a model with their on-chain stats and Morpheus rating. Both are cached briefly: the chain
// changes slowly and a request should not pay several RPC round trips to learn what it learned a
// second ago. The API (/api/v1/models), the session pool and the catalog pages read the same cache.
import type { Address, Hex } from "viem";
import { listModelOffers, type ModelOffer } from "@/lib/chain/catalog";
import { getMarketplaceSettings, getModelStats, getProviderModelStats, readMany, type MarketplaceSettings, type Reader } from "@/lib/chain/reads";
import type { SessionOffer } from "@/lib/consumer";
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
  /** False when GATEWAY_PROVIDER_ALLOWLIST leaves this provider out of the gateway's choice. */
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
  // The provider minimum stake is a rating input of every bid: read once per catalog refresh, not per model.
  private readonly settings: Cached<MarketplaceSettings>;

  constructor(
    private readonly reader: Reader,
    private readonly options: { weights: RatingWeights; providerAllowlist?: readonly Address[]; catalogTtlMs?: number; ratingTtlMs?: number },
  ) {
    this.catalog = new Cached(options.catalogTtlMs ?? 10_000, () => this.loadCatalog());
    this.settings = new Cached(options.catalogTtlMs ?? 10_000, () => getMarketplaceSettings(this.reader));
  }

  list(): Promise<GatewayModel[]> {
    return this.catalog.get();
  }

  /** By API id, on-chain name or 0x model id; undefined when no active model matches. */
  async resolve(requested: string): Promise<GatewayModel | undefined> {
    const models = await this.list();
    const wanted = requested.trim();
    const lower = wanted.toLowerCase();
    return models.find((m) => m.id === wanted) ?? models.find((m) => m.modelId === lower) ?? models.find((m) => m.name === wanted);
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
    // Ratings of models that left the catalog are dropped, so the map stays as big as the catalog.
    const active = new Set(offers.map((m) => m.modelId.toLowerCase()));
    for (const modelId of this.ratings.keys()) if (!active.has(modelId)) this.ratings.delete(modelId);
    const nameCount = new Map<string, number>();
    for (const m of offers) nameCount.set(m.name, (nameCount.get(m.name) ?? 0) + 1);
    return offers.map((m) => ({
      id: nameCount.get(m.name) === 1 && m.name.trim() !== "" ? m.name : m.modelId,
      modelId: m.modelId.toLowerCase() as Hex,
      name: m.name,
      tags: m.tags,
      owner: m.owner,
      stake: m.stake,
      createdAt: m.createdAt,
      offers: m.bids,
    }));
  }

  private async rate(modelId: Hex): Promise<RatedBid[]> {
    const model = (await this.list()).find((m) => m.modelId === modelId);
    if (!model) return [];
    const allow = this.options.providerAllowlist?.map((a) => a.toLowerCase());
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
        usedByGateway: !allow?.length || allow.includes(offer.provider.toLowerCase()),
      };
    });
    // Best first, as the gateway picks; unrated bids (no finite score) last, and never picked (as Go drops them).
    return rated.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity));
  }
}
