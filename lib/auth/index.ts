// Authentication: gateway API keys (format, hashing, create / list / revoke) and their verifier.
export {
  apiKeyPrefix,
  createApiKey,
  displayPrefix,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  listApiKeys,
  onApiKeyChanged,
  revokeApiKey,
  ApiKeyError,
  type ApiKeyErrorCode,
  type ApiKeySummary,
  type CreateApiKeyInput,
  type RevokeTarget,
} from "./api-keys";
export { ApiKeyVerifier, apiKeyVerifier, type ApiKeyVerifierOptions, type AuthenticatedKey } from "./key-verifier";
