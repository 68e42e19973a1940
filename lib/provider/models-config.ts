// models-config.json: which upstream serves each on-chain model, in the Go proxy-router's format
// ({"models":[{modelId, modelName, apiType, apiUrl, apiKey?, concurrentSlots?, capacityPolicy?}]}),
// so one file works for both nodes.
import fs from "node:fs";
import { z } from "zod";

const modelEntry = z
  .object({
    modelId: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be the on-chain model id: 0x + 64 hex characters")
      // The Go node matches the lowercase hex exactly; normalising here saves a silent miss.
      .transform((id) => id.toLowerCase() as `0x${string}`),
    modelName: z.string().min(1, "must name the upstream model (sent as `model`)"),
    apiType: z.literal("openai", { error: 'only "openai" (OpenAI-compatible HTTP APIs) is supported by this node' }),
    apiUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://localhost:8000/v1/chat/completions" }),
    apiKey: z.string().optional(),
    /** Sessions (simple) or recently active sessions (idle_timeout) allowed at once; 0 / unset = unlimited. */
    concurrentSlots: z.number().int().min(0).optional(),
    capacityPolicy: z.enum(["simple", "idle_timeout"]).default("simple"),
    parameters: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const modelsConfigSchema = z
  .object({ models: z.array(modelEntry).min(1, "lists no models") })
  .loose()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.models.forEach((m, i) => {
      if (seen.has(m.modelId)) ctx.addIssue({ code: "custom", path: ["models", i, "modelId"], message: "appears twice" });
      seen.add(m.modelId);
    });
  });

export type ModelConfig = z.infer<typeof modelEntry>;
export type ModelsConfig = z.infer<typeof modelsConfigSchema>;

export class ModelsConfigError extends Error {}

/** Parses and validates the JSON text of a models config; errors name the file and the field. */
export function parseModelsConfig(text: string, source = "models config"): ModelsConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelsConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const result = modelsConfigSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ModelsConfigError(`${source} is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** MODELS_CONFIG_CONTENT when given, else the file at `path`. */
export function loadModelsConfig({ path, content }: { path: string; content?: string }): ModelsConfig {
  if (content) return parseModelsConfig(content, "MODELS_CONFIG_CONTENT");
  if (!fs.existsSync(path)) {
    throw new ModelsConfigError(`models config not found at ${path} (pass --config <file> or set MODELS_CONFIG_PATH)`);
  }
  return parseModelsConfig(fs.readFileSync(path, "utf8"), path);
}

export type UpstreamKind = "chat" | "embeddings";

/**
 * The upstream URL for a request kind. `apiUrl` is a full endpoint (…/v1/chat/completions) as in
 * the Go node's docs; a base URL (…/v1) also works, and an embeddings model may give either.
 */
export function upstreamUrl(model: ModelConfig, kind: UpstreamKind): string {
  const url = model.apiUrl.replace(/\/+$/, "");
  const path = kind === "chat" ? "/chat/completions" : "/embeddings";
  if (url.endsWith(path)) return url;
  const otherPath = kind === "chat" ? "/embeddings" : "/chat/completions";
  if (url.endsWith(otherPath)) return url.slice(0, -otherPath.length) + path;
  return url + path;
}
