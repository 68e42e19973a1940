import { describe, expect, it } from "vitest";
import { parseModelsConfig, upstreamUrl } from "./models-config";

const id = `0x${"AB".repeat(32)}`;
const entry = { modelId: id, modelName: "llama", apiType: "openai", apiUrl: "http://localhost:8000/v1/chat/completions" };

describe("models-config.json", () => {
  it("reads the Go node's format and normalises the model id to lowercase", () => {
    const config = parseModelsConfig(JSON.stringify({ $schema: "./schema.json", models: [{ ...entry, concurrentSlots: 2 }] }));
    expect(config.models[0]).toMatchObject({ modelId: id.toLowerCase(), modelName: "llama", concurrentSlots: 2, capacityPolicy: "simple" });
  });

  it("names the file and the bad field", () => {
    expect(() => parseModelsConfig("{", "cfg.json")).toThrow(/cfg.json: not valid JSON/);
    expect(() => parseModelsConfig(JSON.stringify({ models: [] }), "cfg.json")).toThrow(/cfg.json is invalid:\n {2}models: lists no models/);
    expect(() => parseModelsConfig(JSON.stringify({ models: [{ ...entry, modelId: "0x12" }] }))).toThrow(/models.0.modelId: must be the on-chain model id/);
    expect(() => parseModelsConfig(JSON.stringify({ models: [{ ...entry, apiType: "claudeai" }] }))).toThrow(/models.0.apiType: only "openai"/);
    expect(() => parseModelsConfig(JSON.stringify({ models: [{ ...entry, apiUrl: "localhost:8000" }] }))).toThrow(/models.0.apiUrl/);
    expect(() => parseModelsConfig(JSON.stringify({ models: [entry, entry] }))).toThrow(/models.1.modelId: appears twice/);
  });

  it("derives the chat and embeddings endpoints from a full or a base URL", () => {
    const [model] = parseModelsConfig(JSON.stringify({ models: [entry] })).models;
    expect(upstreamUrl(model, "chat")).toBe("http://localhost:8000/v1/chat/completions");
    expect(upstreamUrl(model, "embeddings")).toBe("http://localhost:8000/v1/embeddings");
    const base = { ...model, apiUrl: "https://api.example.com/v1/" };
    expect(upstreamUrl(base, "chat")).toBe("https://api.example.com/v1/chat/completions");
    expect(upstreamUrl({ ...model, apiUrl: "http://h/v1/embeddings" }, "embeddings")).toBe("http://h/v1/embeddings");
  });
});
