// The model catalog: active models with the active bids that serve them, read live from the chain.
import type { Address, Hex } from "viem";
import { chainConfig, publicClient } from "./config";
import { getActiveModelIds, getBid, getModel, getModelActiveBidIds, getProvider, readMany, type Reader } from "./reads";

export interface BidOffer {
  bidId: Hex;
  provider: Address;
  providerEndpoint: string;
  providerStake: bigint;
  pricePerSecond: bigint;
  createdAt: bigint;
}

export interface ModelOffer {
  modelId: Hex;
  name: string;
  tags: readonly string[];
  owner: Address;
  stake: bigint;
  createdAt: bigint;
  /** Cheapest first. */
  bids: BidOffer[];
}

export async function listModelOffers(reader: Reader = defaultReader()): Promise<ModelOffer[]> {
  const modelIds = await getActiveModelIds(reader);
  const models = await readMany(modelIds, (id) => getModel(reader, id));
  const bidIdsPerModel = await readMany(modelIds, (id) => getModelActiveBidIds(reader, id));
  const bids = await readMany(bidIdsPerModel.flat(), (id) => getBid(reader, id));
  const providerAddresses = [...new Set(bids.map((b) => b.provider))];
  const providers = new Map((await readMany(providerAddresses, (a) => getProvider(reader, a))).map((p) => [p.address, p]));

  return models
    .filter((m) => !m.isDeleted)
    .map((model) => ({
      modelId: model.modelId,
      name: model.name,
      tags: model.tags,
      owner: model.owner,
      stake: model.stake,
      createdAt: model.createdAt,
      bids: bids
        .filter((bid) => bid.modelId === model.modelId && bid.deletedAt === 0n)
        .filter((bid) => providers.get(bid.provider)?.isDeleted === false)
        .map((bid) => ({
          bidId: bid.bidId,
          provider: bid.provider,
          providerEndpoint: providers.get(bid.provider)?.endpoint ?? "",
          providerStake: providers.get(bid.provider)?.stake ?? 0n,
          pricePerSecond: bid.pricePerSecond,
          createdAt: bid.createdAt,
        }))
        .sort((a, b) => (a.pricePerSecond < b.pricePerSecond ? -1 : a.pricePerSecond > b.pricePerSecond ? 1 : 0)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function defaultReader(): Reader {
  const config = chainConfig();
  return { client: publicClient(config), diamond: config.diamond };
}
