// models-config.json: which upstream serves each on-chain model, in the Go proxy-router's format, so
// one file works for both nodes. It accepts every file the Go node accepts, with the same meaning
// (../shared/specs/models-config.md):
// - current `{"models":[entry…]}` or legacy `{"0x<model id>": entry…}` (used when there is no `models`);
// - a file is refused only where Go's typed JSON decoding refuses it (a field of the wrong type);
// - entries are judged one by one: a bad or unsupported entry is reported and not served, the others are;
// - an empty list loads; a duplicate modelId: the last one wins;
// - `apiUrl` is the exact URL requests are POSTed to (a trailing `/` dropped), nothing appended.
// This node serves `openai` and `claudeai` (Anthropic's messages API); it says which entries it cannot
// serve (`prodia-*`, `hyperbolic-sd`: image models) instead of refusing the file.
import fs from "node:fs";
import { z } from "zod";

/** The apiTypes the Go node knows, and which of them this node serves. */
export const servedApiTypes = ["openai", "claudeai"] as const;
const goOnlyApiTypes = ["prodia-sd", "prodia-sdxl", "prodia-v2", "hyperbolic-sd"];
export type ApiType = (typeof servedApiTypes)[number];

// Go decodes into typed struct fields: a value of another type fails the whole file, unknown keys are ignored.
const goEntry = z
  .object({
    modelId: z.string().optional(),
    modelName: z.string().optional(),
    apiType: z.string().optional(),
    apiUrl: z.string().optional(),
    apiKey: z.string().optional(),
    concurrentSlots: z.number().int("must be an integer").optional(),
    capacityPolicy: z.string().optional(),
    parameters: z.record(z.string(), z.string("must map names to strings")).optional(),
  })
  .loose();
type GoEntry = z.infer<typeof goEntry>;

export interface ModelConfig {
  /** The on-chain model id, 0x + 64 lowercase hex. */
  modelId: `0x${string}`;
  /** Sent as `model` to the upstream. */
  modelName: string;
  apiType: ApiType;
  /** Where requests are POSTed, exactly (trailing `/` dropped). */
  apiUrl: string;
  apiKey?: string;
  /** Sessions (simple) or recently active sessions (idle_timeout) allowed at once; 0 / unset = unlimited. */
  concurrentSlots?: number;
  capacityPolicy: "simple" | "idle_timeout";
  parameters?: Record<string, string>;
}

/** What the node does with one entry of the file, for its start-up report. */
export interface ModelsConfigEntryReport {
  modelId: string;
  modelName: string;
  apiType: string;
  /** Served; not servable by this node (a type only the Go node serves); or invalid (never served). */
  status: "serving" | "unsupported" | "invalid";
  /** Why it is not served, or a note about a served entry (e.g. an unknown capacityPolicy). */
  note?: string;
}

export interface ModelsConfig {
  /** The entries this node serves, one per model id. */
  models: ModelConfig[];
  /** Every entry as read, in file order, with what the node does with it. */
  report: ModelsConfigEntryReport[];
}

export class ModelsConfigError extends Error {}

const MODEL_ID = /^0x[0-9a-f]{64}$/;

/** Parses the JSON text of a models config as the Go node does; errors name the source and the field. */
export function parseModelsConfig(text: string, source = "models config"): ModelsConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelsConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new ModelsConfigError(`${source}: must be a JSON object`);
  const root = json as Record<string, unknown>;

  let raw: { entry: unknown; path: string; modelId?: string }[];
  if ("models" in root) {
    if (root.models !== null && !Array.isArray(root.models)) throw new ModelsConfigError(`${source} is invalid:\n  models: must be a list`);
    raw = ((root.models as unknown[] | null) ?? []).map((entry, i) => ({ entry, path: `models.${i}` }));
  } else {
    // Legacy format: the model id is the key (a `$schema` key is not an entry).
    raw = Object.entries(root)
      .filter(([key]) => key !== "$schema")
      .map(([modelId, entry]) => ({ entry, path: modelId, modelId }));
  }

  const issues: string[] = [];
  const entries: { entry: GoEntry; modelId: string }[] = [];
  for (const { entry, path, modelId } of raw) {
    const parsed = goEntry.safeParse(entry ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(`  ${[path, ...issue.path].join(".")}: ${issue.message}`);
      continue;
    }
    entries.push({ entry: parsed.data, modelId: modelId ?? parsed.data.modelId ?? "" });
  }
  if (issues.length) throw new ModelsConfigError(`${source} is invalid:\n${issues.join("\n")}`);

  const report: ModelsConfigEntryReport[] = [];
  const served = new Map<string, ModelConfig>();
  for (const { entry, modelId } of entries) {
    const judged = judgeEntry(entry, modelId);
    report.push(judged.report);
    // A duplicate id: the last entry wins, as in Go (an earlier served one is replaced or dropped).
    const id = modelId.toLowerCase();
    served.delete(id);
    if (judged.model) served.set(id, judged.model);
  }
  return { models: [...served.values()], report };
}

function judgeEntry(entry: GoEntry, rawId: string): { model?: ModelConfig; report: ModelsConfigEntryReport } {
  const apiType = entry.apiType ?? "";
  const modelName = entry.modelName ?? "";
  // The Go node matches the lowercase 0x… id; an id in capitals would silently never match there,
  // here it is lowercased. One without 0x never matches in either.
  const modelId = rawId.toLowerCase();
  const report: ModelsConfigEntryReport = { modelId: rawId, modelName, apiType, status: "serving" };
  const refuse = (status: "unsupported" | "invalid", note: string) => ({ report: { ...report, status, note } });

  if (!MODEL_ID.test(modelId)) return refuse("invalid", "modelId is not 0x + 64 hex characters: no on-chain model can match it");
  if (goOnlyApiTypes.includes(apiType)) return refuse("unsupported", `apiType "${apiType}" (image generation) is served by the Go node only`);
  if (!(servedApiTypes as readonly string[]).includes(apiType)) {
    return refuse("invalid", `unknown apiType "${apiType}" (known: ${[...servedApiTypes, ...goOnlyApiTypes].join(", ")})`);
  }
  const apiUrl = (entry.apiUrl ?? "").replace(/\/+$/, "");
  if (!isHttpUrl(apiUrl)) return refuse("invalid", "apiUrl must be an http(s) URL such as http://localhost:8000/v1/chat/completions");
  if (entry.concurrentSlots !== undefined && entry.concurrentSlots < 0) return refuse("invalid", "concurrentSlots must not be negative");

  let capacityPolicy: ModelConfig["capacityPolicy"] = "simple";
  if (entry.capacityPolicy === "idle_timeout") capacityPolicy = "idle_timeout";
  else if (entry.capacityPolicy && entry.capacityPolicy !== "simple") {
    report.note = `unknown capacityPolicy "${entry.capacityPolicy}": using simple, as the Go node does`;
  }
  const model: ModelConfig = {
    modelId: modelId as `0x${string}`,
    modelName,
    apiType: apiType as ApiType,
    apiUrl,
    capacityPolicy,
    ...(entry.apiKey ? { apiKey: entry.apiKey } : {}),
    ...(entry.concurrentSlots !== undefined ? { concurrentSlots: entry.concurrentSlots } : {}),
    ...(entry.parameters ? { parameters: entry.parameters } : {}),
  };
  return { model, report };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== "";
  } catch {
    return false;
  }
}

/**
 * MODELS_CONFIG_CONTENT when given, else the file at `path`. (The Go code writes the content to the
 * file only when no file exists, its docs say the content is used instead of the file: the content
 * wins here, so an environment that sets it always gets what it says.)
 */
export function loadModelsConfig({ path, content }: { path: string; content?: string }): ModelsConfig {
  if (content) return parseModelsConfig(content, "MODELS_CONFIG_CONTENT");
  if (!fs.existsSync(path)) {
    throw new ModelsConfigError(`models config not found at ${path} (pass --config <file> or set MODELS_CONFIG_PATH)`);
  }
  return parseModelsConfig(fs.readFileSync(path, "utf8"), path);
}

/** One line per entry of the file: what this node serves, and why it does not serve the others. */
export function describeModelsConfig(config: ModelsConfig): string[] {
  if (config.report.length === 0) return ["the models config lists no models: this node serves none"];
  return config.report.map((entry) => {
    const name = `${entry.modelId || "(no modelId)"} (${entry.modelName || "no modelName"}, ${entry.apiType || "no apiType"})`;
    const note = entry.note ? `: ${entry.note}` : "";
    if (entry.status === "serving") return `serving ${name}${note}`;
    return `${entry.status === "unsupported" ? "cannot serve" : "skipping invalid entry"} ${name}${note}`;
  });
}

export type UpstreamKind = "chat" | "embeddings";

/**
 * The URL a request goes to. Chat: `apiUrl` exactly, as the Go node POSTs it (Azure-style
 * `?api-version=` and custom paths included). Embeddings (which the Go node does not serve): the
 * sibling `/embeddings` of a `/chat/completions` URL, query kept, else `apiUrl` itself.
 */
export function upstreamUrl(model: ModelConfig, kind: UpstreamKind): string {
  if (kind === "chat") return model.apiUrl;
  const url = new URL(model.apiUrl);
  if (url.pathname.endsWith("/chat/completions")) url.pathname = url.pathname.slice(0, -"/chat/completions".length) + "/embeddings";
  return url.toString();
}
