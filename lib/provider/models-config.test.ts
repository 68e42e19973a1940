import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeModelsConfig, parseModelsConfig, upstreamUrl } from "./models-config";

// Fixtures written in the Go proxy-router's format, one per case of ../shared/specs/models-config.md.
const fixtures = path.join(import.meta.dirname, "testdata", "models-config");
const load = (name: string) => parseModelsConfig(fs.readFileSync(path.join(fixtures, name), "utf8"), name);
const id = (hex: string) => `0x${hex.repeat(64)}`;
const zero = `0x${"0".repeat(64)}`;
const one = `0x${"0".repeat(63)}1`;

describe("models-config.json as the Go node reads it", () => {
  it("reads the current format: serves the openai entry, says it cannot serve the prodia-sd one", () => {
    const config = load("current-upstream-example.json");
    expect(config.models).toEqual([{ modelId: zero, modelName: "llama2", apiType: "openai", apiUrl: "http://localhost:8080/v1", capacityPolicy: "simple" }]);
    expect(config.report.map((e) => [e.modelId, e.status])).toEqual([
      [zero, "serving"],
      [one, "unsupported"],
    ]);
    expect(describeModelsConfig(config)).toEqual([
      `serving ${zero} (llama2, openai)`,
      `cannot serve ${one} (v1-5-pruned-emaonly.safetensors [d7049739], prodia-sd): apiType "prodia-sd" (image generation) is served by the Go node only`,
    ]);
  });

  it("reads the legacy format (a top-level object keyed by model id) with the same meaning", () => {
    const legacy = load("legacy-upstream-example.json");
    const current = load("current-upstream-example.json");
    expect(legacy.models).toEqual(current.models);
    expect(legacy.report.map((e) => e.status)).toEqual(["serving", "unsupported"]);
  });

  it("serves openai and claudeai, and names every image type it cannot serve instead of refusing the file", () => {
    const config = load("every-api-type.json");
    expect(config.models.map((m) => m.apiType)).toEqual(["openai", "claudeai"]);
    expect(config.models[0]).toMatchObject({ apiKey: "k1", concurrentSlots: 4, capacityPolicy: "idle_timeout" });
    expect(config.report.map((e) => `${e.apiType}:${e.status}`)).toEqual([
      "openai:serving",
      "claudeai:serving",
      "prodia-sd:unsupported",
      "prodia-sdxl:unsupported",
      "prodia-v2:unsupported",
      "hyperbolic-sd:unsupported",
    ]);
  });

  it("loads what Go loads: an id without 0x (never matched), duplicates (last wins), unknown capacityPolicy (simple), bad entries skipped", () => {
    const config = load("quirks.json");
    expect(config.models).toEqual([
      // The duplicate: the second entry replaced the first; its trailing "/" dropped, unknown fields ignored.
      { modelId: zero, modelName: "second-wins", apiType: "openai", apiUrl: "http://localhost:8001/v1/chat/completions", concurrentSlots: 2, capacityPolicy: "simple" },
      // Capitals are lowercased (the Go node would silently never match them).
      { modelId: id("b"), modelName: "capitals", apiType: "openai", apiUrl: "http://localhost:8002/custom/path", capacityPolicy: "simple" },
    ]);
    expect(config.report.map((e) => [e.modelName, e.status, e.note ?? ""])).toEqual([
      ["no-0x", "invalid", "modelId is not 0x + 64 hex characters: no on-chain model can match it"],
      ["first", "serving", ""],
      ["second-wins", "serving", 'unknown capacityPolicy "fancy": using simple, as the Go node does'],
      ["capitals", "serving", ""],
      ["bad-url", "invalid", "apiUrl must be an http(s) URL such as http://localhost:8000/v1/chat/completions"],
      ["what", "invalid", 'unknown apiType "mystery" (known: openai, claudeai, prodia-sd, prodia-sdxl, prodia-v2, hyperbolic-sd)'],
    ]);
  });

  it("loads an empty list (both formats) and says that it serves nothing", () => {
    for (const name of ["empty-list.json", "empty-legacy.json"]) {
      const config = load(name);
      expect(config.models).toEqual([]);
      expect(describeModelsConfig(config)).toEqual(["the models config lists no models: this node serves none"]);
    }
  });

  it("refuses only what Go's typed decoding refuses, naming the file and the field", () => {
    expect(() => load("refused-parameters-not-strings.json")).toThrow(/refused-parameters-not-strings.json is invalid:\n {2}models.0.parameters.steps: must map names to strings/);
    expect(() => load("refused-wrong-type.json")).toThrow(/models.0.modelName: .*\n {2}models.0.concurrentSlots: must be an integer/);
    expect(() => parseModelsConfig("{", "cfg.json")).toThrow(/cfg.json: not valid JSON/);
    expect(() => parseModelsConfig("[]", "cfg.json")).toThrow(/cfg.json: must be a JSON object/);
    expect(() => parseModelsConfig(JSON.stringify({ models: {} }), "cfg.json")).toThrow(/models: must be a list/);
  });
});

describe("upstream URLs", () => {
  const [azure] = load("every-api-type.json").models;

  it("posts chat to apiUrl exactly, as the Go node does (custom paths and ?api-version= kept)", () => {
    expect(upstreamUrl(azure, "chat")).toBe("https://my-resource.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-02-01");
    const custom = load("quirks.json").models[1];
    expect(upstreamUrl(custom, "chat")).toBe("http://localhost:8002/custom/path");
  });

  it("sends embeddings to the sibling /embeddings of a chat URL, query kept, else to apiUrl", () => {
    expect(upstreamUrl(azure, "embeddings")).toBe("https://my-resource.openai.azure.com/openai/deployments/gpt4o/embeddings?api-version=2024-02-01");
    const custom = load("quirks.json").models[1];
    expect(upstreamUrl(custom, "embeddings")).toBe("http://localhost:8002/custom/path");
  });
});
