// The OpenAI-compatible gateway: route handler wrapper and operations (for app/api/v1), and the
// runtime that owns the session pool.
export { withApiKey, type ApiContext } from "./http";
export { chatCompletionForKey, type InProcessChat } from "./in-process";
export { listModels, retrieveModel, createChatCompletion, createEmbeddings } from "./openai-api";
export { getGateway, modelCatalog, type Gateway } from "./runtime";
export { ApiError, type ApiErrorCode } from "./errors";
