// The OpenAI-compatible gateway: route handler wrapper and operations (for app/api/v1), and the
// runtime that owns the session pool; the catalog and network status the site's pages show.
export { withApiKey, type ApiContext } from "./http";
export { listModels, retrieveModel, createChatCompletion, createEmbeddings } from "./openai-api";
export { getGateway, type Gateway } from "./runtime";
export { ApiError, type ApiErrorCode } from "./errors";
export {
  readCatalog,
  readCatalogModel,
  isModelId,
  filterCatalog,
  parseCatalogQuery,
  catalogTags,
  type CatalogModel,
  type CatalogQuery,
  type RatedBid,
  type ProviderModelSummary,
} from "./catalog";
export { readNetworkStatus, latestProviderHealth, PINGER_DEFAULTS, type NetworkStatus, type PoolState, type ProviderHealth } from "./network-status";
