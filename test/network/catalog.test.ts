// The catalog the pages and /api/v1 share (lib/gateway/models.ts, lib/gateway/catalog.ts): every
// bid with its provider's on-chain stats and the Morpheus rating, on a real anvil with the
// marketplace deployed, a real provider node and a session closed with the provider's receipt.
import { parseEther, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { devAccounts, increaseTime } from "@/lib/chain/anvil";
import { getSession } from "@/lib/chain/reads";
import { deleteBid, postBid, registerProvider, walletFor } from "@/lib/chain/writes";
import { closeProviderSession, openProviderSession, promptSession } from "@/lib/consumer";
import { filterCatalog, parseCatalogQuery, type CatalogModel } from "@/lib/gateway/catalog";
import { ModelDirectory } from "@/lib/gateway/models";
import { DEFAULT_RATING_WEIGHTS } from "@/lib/gateway/rating";
import { decodeReport } from "@/lib/morrpc";
import { CHAT, Cleanup, collect, consumerFor, modelIdFor, modelsConfig, PRICE, seedProvider, startChain, startDemo, startProvider, type TestChain } from "../provider/fixture";

const cleanup = new Cleanup();
const SERVING = devAccounts[1]; // serves the model and closes a session with its receipt
const IDLE = devAccounts[3]; // bids on the same model at the same price, no session yet
let chain: TestChain;
let modelId: Hex;
let endpoint: string;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  modelId = modelIdFor(1, "catalog-model");
  const node = await startProvider(cleanup, chain, { providerIndex: 1, models: modelsConfig([{ modelId, url: demo.url }]) });
  endpoint = node.endpoint;
  await seedProvider(chain, { providerIndex: 1, endpoint, name: "catalog-model" });
  await seedProvider(chain, { providerIndex: 4, endpoint: "127.0.0.1:9", name: "other-model" }); // a second model
  // A second provider on the same model, staked like the first: its rating differs only by stats.
  const idle = walletFor(chain.ctx, IDLE);
  await registerProvider(chain.ctx, idle, { endpoint: "127.0.0.1:1", stake: parseEther("10000") });
  await postBid(chain.ctx, idle, { modelId, pricePerSecond: PRICE });
});
afterAll(() => cleanup.run());

function directory(options: Partial<ConstructorParameters<typeof ModelDirectory>[1]> = {}) {
  return new ModelDirectory(chain.ctx, { weights: DEFAULT_RATING_WEIGHTS, ...options });
}

function bidsOf(models: CatalogModel[]) {
  return models.find((m) => m.modelId === modelId)?.bids ?? [];
}

function bidOf(model: CatalogModel | undefined, provider: string) {
  const bid = model?.bids.find((b) => b.offer.provider === provider);
  if (!bid) throw new Error(`no bid of ${provider}`);
  return bid;
}

describe("catalog with ratings", () => {
  let dir: ModelDirectory;
  beforeAll(() => {
    dir = directory();
  });
  let before: CatalogModel | undefined;

  it("lists every bid with empty stats and a rating before any session closed", async () => {
    before = (await dir.catalogWithRatings()).find((m) => m.modelId === modelId);
    expect(before?.bids.map((b) => b.offer.provider).sort()).toEqual([SERVING.address, IDLE.address].sort());
    for (const bid of before!.bids) {
      expect(bid.stats).toEqual({ sessions: 0, successRate: undefined, ttftMs: undefined, tokensPerSecond: undefined });
      expect(bid.score).toBeGreaterThan(0);
      expect(bid.usedByGateway).toBe(true);
    }
    // Same price, same stake, no stats: the same rating.
    expect(bidOf(before, SERVING.address).score).toBe(bidOf(before, IDLE.address).score);
  });

  it("shows the receipt's TTFT and TPS, the success rate and the session count once a session closes, after the cache is invalidated", async () => {
    const consumer = await consumerFor(chain, 2);
    const session = await openProviderSession(consumer, { bidId: bidOf(before, SERVING.address).offer.bidId, provider: SERVING.address, endpoint, pricePerSecond: PRICE }, { durationSeconds: 600n });
    await collect(promptSession(consumer, session, { ...CHAT, stream: true }));
    await increaseTime(chain.anvil.rpcUrl, 120);
    expect(await closeProviderSession(consumer, session)).toMatchObject({ disputed: false });
    const report = decodeReport((await getSession(chain.ctx, session.sessionId)).closeoutReceipt);

    // Still the cached catalog: a page view does not read the chain again.
    const cached = (await dir.catalogWithRatings()).find((m) => m.modelId === modelId);
    expect(bidOf(cached, SERVING.address).stats.sessions).toBe(0);

    dir.invalidate();
    const after = (await dir.catalogWithRatings()).find((m) => m.modelId === modelId);
    const serving = bidOf(after, SERVING.address);
    expect(serving.stats).toEqual({ sessions: 1, successRate: 1, ttftMs: report.ttftMs, tokensPerSecond: report.tpsScaled1000 / 1000 });
    // The success term lifts the provider that served: it is rated above the idle one and listed first.
    expect(after?.bids[0].offer.provider).toBe(SERVING.address);
    expect(serving.score!).toBeGreaterThan(bidOf(after, IDLE.address).score!);
    // The gateway's ranking is the same list.
    expect((await dir.rankedOffers(after!)).map((o) => o.provider)).toEqual(after!.bids.map((b) => b.offer.provider));
  });

  it("shows a bid posted or deleted since the ratings were cached at the next catalog refresh, not a rating period later", async () => {
    const fresh = directory({ catalogTtlMs: 0, ratingTtlMs: 60_000 });
    const providers = async () => bidsOf(await fresh.catalogWithRatings()).map((b) => b.offer.provider);
    expect(await providers()).toHaveLength(2); // ratings now cached for a minute
    const late = walletFor(chain.ctx, devAccounts[6]);
    await registerProvider(chain.ctx, late, { endpoint: "127.0.0.1:2", stake: parseEther("10000") });
    const { bidId } = await postBid(chain.ctx, late, { modelId, pricePerSecond: PRICE * 2n });
    expect(await providers()).toContain(devAccounts[6].address);
    expect(bidsOf(await fresh.catalogWithRatings()).find((b) => b.offer.bidId === bidId)?.score).toBeGreaterThan(0);
    await deleteBid(chain.ctx, late, bidId);
    expect(await providers()).not.toContain(devAccounts[6].address);
  });

  it("keeps providers outside the gateway's allow-list on the page but out of the gateway's choice", async () => {
    const allowIdle = directory({ providerAllowlist: [IDLE.address] });
    const model = (await allowIdle.catalogWithRatings()).find((m) => m.modelId === modelId);
    expect(bidOf(model, SERVING.address).usedByGateway).toBe(false);
    expect(bidOf(model, IDLE.address).usedByGateway).toBe(true);
    expect((await allowIdle.rankedOffers(model!)).map((o) => o.provider)).toEqual([IDLE.address]);
  });
});

describe("filter and sort", () => {
  it("filters by text, tag and bids, sorts by rating, price or name", async () => {
    const models = await directory().catalogWithRatings();
    expect(models.map((m) => m.name).sort()).toEqual(["catalog-model", "other-model"]);
    const names = (params: Record<string, string>) => filterCatalog(models, parseCatalogQuery(params)).map((m) => m.name);
    expect(names({ q: "CATALOG" })).toEqual(["catalog-model"]);
    expect(names({ q: modelId.slice(2, 20) })).toEqual(["catalog-model"]);
    expect(names({ q: "nothing like it" })).toEqual([]);
    expect(names({ tag: "no-such-tag" })).toEqual([]);
    expect(names({ sort: "name" })).toEqual(["catalog-model", "other-model"]);
    expect(names({ sort: "bogus" })).toEqual(names({ sort: "rating" })); // unknown values: the default sort
    expect(parseCatalogQuery({ q: "x".repeat(500), sort: ["price", "name"] })).toMatchObject({ q: "x".repeat(100), sort: "price" });
  });
});

describe("the process's catalog", () => {
  it("is one directory, read by the pages through readCatalog and readCatalogModel", async () => {
    vi.stubEnv("CHAIN", "local");
    vi.stubEnv("RPC_URL", chain.anvil.rpcUrl);
    vi.stubEnv("DIAMOND_ADDRESS", chain.deployed.diamond);
    vi.stubEnv("MOR_TOKEN_ADDRESS", chain.deployed.mor);
    vi.resetModules();
    const catalog = await import("@/lib/gateway/catalog");
    expect(catalog.modelDirectory()).toBe(catalog.modelDirectory());
    const models = await catalog.readCatalog();
    expect(models.find((m) => m.modelId === modelId)?.bids).toHaveLength(2);
    expect((await catalog.readCatalogModel(modelId.toUpperCase().replace("0X", "0x") as Hex))?.name).toBe("catalog-model");
    expect(await catalog.readCatalogModel(`0x${"00".repeat(32)}`)).toBeUndefined();
    expect(catalog.isModelId(modelId)).toBe(true);
    expect(catalog.isModelId(`${modelId}00`)).toBe(false);
    expect(catalog.isModelId("catalog-model")).toBe(false);
    vi.unstubAllEnvs();
  });
});
