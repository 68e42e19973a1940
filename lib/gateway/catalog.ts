// The catalog as the site's pages read it, from the process's one model directory (modelDirectory()
// in runtime.ts): the gateway (/api/v1/models, the session pool) and /models, /models/[id], /status
// share its cache, so a page view costs no chain reads while the cache is fresh.
import "server-only";
import type { Hex } from "viem";
import type { CatalogModel } from "./models";
import { modelDirectory } from "./runtime";

export type { CatalogModel, RatedBid, ProviderModelSummary } from "./models";
export { modelDirectory };

/** Every active model with its bids, each with the provider's on-chain stats and rating. */
export function readCatalog(): Promise<CatalogModel[]> {
  return modelDirectory().catalogWithRatings();
}

/** A 0x-prefixed 32-byte model id, the only form /models/[id] accepts. */
export function isModelId(value: string): value is Hex {
  return /^0x[0-9a-fA-F]{64}$/.test(value);
}

/** One model of the catalog by its on-chain id; undefined when no active model has it. */
export async function readCatalogModel(modelId: Hex): Promise<CatalogModel | undefined> {
  const wanted = modelId.toLowerCase();
  const model = (await modelDirectory().list()).find((m) => m.modelId === wanted);
  if (!model) return undefined;
  return { ...model, bids: await modelDirectory().ratedBids(model) };
}

// --- filtering and sorting (the /models search parameters) ------------------------------------------

export const catalogSorts = ["rating", "price", "name"] as const;
export type CatalogSort = (typeof catalogSorts)[number];

export interface CatalogQuery {
  /** Matched against the name, the tags and the model id, case-insensitively. */
  q: string;
  tag?: string;
  sort: CatalogSort;
  /** Only models at least one provider bids on. */
  withBids: boolean;
}

/** Search parameters as Next passes them (repeated keys give arrays), validated; unknown values fall back to the defaults. */
export function parseCatalogQuery(params: Record<string, string | string[] | undefined>): CatalogQuery {
  const one = (key: string) => {
    const value = params[key];
    return (Array.isArray(value) ? value[0] : value)?.trim();
  };
  const sort = one("sort");
  const tag = one("tag");
  return {
    q: (one("q") ?? "").slice(0, 100),
    tag: tag ? tag.slice(0, 100) : undefined,
    sort: catalogSorts.includes(sort as CatalogSort) ? (sort as CatalogSort) : "rating",
    withBids: one("bids") === "1",
  };
}

function cheapest(model: CatalogModel): bigint | undefined {
  return model.bids.reduce<bigint | undefined>((min, b) => (min === undefined || b.offer.pricePerSecond < min ? b.offer.pricePerSecond : min), undefined);
}

function bestScore(model: CatalogModel): number {
  return model.bids.reduce((best, b) => Math.max(best, b.score ?? -Infinity), -Infinity);
}

/** The models that match, sorted; each model's bids in the same order (best rating or lowest price first). */
export function filterCatalog(models: readonly CatalogModel[], query: CatalogQuery): CatalogModel[] {
  const needle = query.q.toLowerCase();
  const matching = models.filter(
    (m) =>
      (!needle || m.name.toLowerCase().includes(needle) || m.modelId.includes(needle) || m.tags.some((t) => t.toLowerCase().includes(needle))) &&
      (!query.tag || m.tags.includes(query.tag)) &&
      (!query.withBids || m.bids.length > 0),
  );
  const byPrice = (a: bigint | undefined, b: bigint | undefined) => (a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1);
  const sorted = matching.map((m) => ({
    ...m,
    bids:
      query.sort === "price"
        ? [...m.bids].sort((a, b) => byPrice(a.offer.pricePerSecond, b.offer.pricePerSecond))
        : m.bids, // the directory keeps them best-rated first
  }));
  const byName = (a: CatalogModel, b: CatalogModel) => a.name.localeCompare(b.name) || a.modelId.localeCompare(b.modelId);
  if (query.sort === "name") return sorted.sort(byName);
  if (query.sort === "price") return sorted.sort((a, b) => byPrice(cheapest(a), cheapest(b)) || byName(a, b));
  return sorted.sort((a, b) => bestScore(b) - bestScore(a) || byName(a, b));
}

/** Every tag of the catalog, sorted (the tag filter's choices). */
export function catalogTags(models: readonly CatalogModel[]): string[] {
  return [...new Set(models.flatMap((m) => m.tags))].sort((a, b) => a.localeCompare(b));
}
