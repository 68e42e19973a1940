// The gateway's model directory: the live on-chain catalog under OpenAI-style ids, and the bids
// of a model ranked by the Morpheus rating. Both are cached briefly: the chain changes slowly and
// a request should not pay several RPC round trips to learn what it learned a second ago. One
// directory per process serves the API and the site's pages alike (see runtime.ts).
import type { Address, Hex } from "viem";
import { listModelOffers, type ModelOffer } from "@/lib/chain/catalog";
import { getMarketplaceSettings, getModelStats, getProviderModelStats, readMany, type Reader } from "@/lib/chain/reads";
import type { SessionOffer } from "@/lib/consumer";
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
    private readonly options: { weights: RatingWeights; providerAllowlist?: readonly Address[]; catalogTtlMs?: number; ratingTtlMs?: number },
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
    const lower = wanted.toLowerCase();
    return models.find((m) => m.id === wanted) ?? models.find((m) => m.modelId === lower) ?? models.find((m) => m.name === wanted);
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
      id: nameCount.get(m.name) === 1 && m.name.trim() !== "" ? m.name : m.modelId,
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
    const offers = model.offers.filter((o) => !allow?.length || allow.includes(o.provider.toLowerCase()));
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
