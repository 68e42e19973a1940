// Writes a models-config.json for a provider's on-chain models, in the Go proxy-router's current
// format ({"$schema", "models": [...]}, ../shared/specs/models-config.md), and the command that
// serves it. Pure (no fs): the provider page builds the file in the browser, where the upstream's
// API key stays on the provider's own machine.
import type { ApiType, ModelConfig } from "./models-config";

/** The `$schema` the Go proxy-router's own example files carry. */
export const MODELS_CONFIG_SCHEMA = "./internal/config/models-config-schema.json";

export interface ModelsConfigDraftEntry {
  modelId: `0x${string}`;
  modelName: string;
  apiType: ApiType;
  apiUrl: string;
  apiKey?: string;
  /** 0 or undefined: unlimited. */
  concurrentSlots?: number;
  capacityPolicy: ModelConfig["capacityPolicy"];
}

/** Why the entry would not be served, or null. The node's loader (parseModelsConfig) judges the same things. */
export function modelsConfigEntryProblem(entry: ModelsConfigDraftEntry): string | null {
  if (!/^0x[0-9a-f]{64}$/.test(entry.modelId)) return "The model id must be 0x + 64 lowercase hex characters.";
  if (!entry.modelName.trim()) return "Name the model as the upstream knows it (sent as `model`).";
  let url: URL;
  try {
    url = new URL(entry.apiUrl);
  } catch {
    return "The API URL must be an http(s) URL such as http://localhost:8000/v1/chat/completions.";
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.host) return "The API URL must be an http(s) URL such as http://localhost:8000/v1/chat/completions.";
  if (entry.concurrentSlots !== undefined && (!Number.isInteger(entry.concurrentSlots) || entry.concurrentSlots < 0)) return "Concurrent slots must be a whole number, 0 for unlimited.";
  return null;
}

/** The file's text (2-space JSON and a final newline), entries in the order given. */
export function renderModelsConfig(entries: readonly ModelsConfigDraftEntry[]): string {
  const models = entries.map((e) => ({
    modelId: e.modelId,
    modelName: e.modelName.trim(),
    apiType: e.apiType,
    apiUrl: e.apiUrl.trim(),
    ...(e.apiKey ? { apiKey: e.apiKey } : {}),
    ...(e.concurrentSlots ? { concurrentSlots: e.concurrentSlots } : {}),
    capacityPolicy: e.capacityPolicy,
  }));
  return `${JSON.stringify({ $schema: MODELS_CONFIG_SCHEMA, models }, null, 2)}\n`;
}

/** The shell command that serves the file with this project's provider node, listening on the endpoint's port. */
export function serveCommand({ file, endpoint }: { file: string; endpoint?: string }): string {
  const port = endpoint ? /:(\d{1,5})$/.exec(endpoint)?.[1] : undefined;
  return `npm run provider -- serve --config ${file}${port ? ` --listen 0.0.0.0:${port}` : ""}`;
}
