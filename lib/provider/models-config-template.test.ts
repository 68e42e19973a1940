import { describe, expect, it } from "vitest";
import { parseModelsConfig } from "./models-config";
import { modelsConfigEntryProblem, renderModelsConfig, serveCommand, type ModelsConfigDraftEntry } from "./models-config-template";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
const openai: ModelsConfigDraftEntry = { modelId: id(1), modelName: "llama-3.1-8b", apiType: "openai", apiUrl: "http://localhost:8000/v1/chat/completions", capacityPolicy: "simple" };
const claude: ModelsConfigDraftEntry = {
  modelId: id(2),
  modelName: "claude-sonnet",
  apiType: "claudeai",
  apiUrl: "https://api.anthropic.com/v1/messages",
  apiKey: "sk-ant-test",
  concurrentSlots: 4,
  capacityPolicy: "idle_timeout",
};

describe("models-config.json generator", () => {
  it("writes the Go node's current format, which our node loads back entry for entry", () => {
    const text = renderModelsConfig([openai, claude]);
    expect(JSON.parse(text)).toEqual({
      $schema: "./internal/config/models-config-schema.json",
      models: [
        { modelId: id(1), modelName: "llama-3.1-8b", apiType: "openai", apiUrl: "http://localhost:8000/v1/chat/completions", capacityPolicy: "simple" },
        { modelId: id(2), modelName: "claude-sonnet", apiType: "claudeai", apiUrl: "https://api.anthropic.com/v1/messages", apiKey: "sk-ant-test", concurrentSlots: 4, capacityPolicy: "idle_timeout" },
      ],
    });
    const loaded = parseModelsConfig(text);
    expect(loaded.report.map((r) => r.status)).toEqual(["serving", "serving"]);
    expect(loaded.models).toEqual([
      { ...openai },
      { ...claude },
    ]);
  });

  it("finds what the node would refuse before the file is downloaded", () => {
    expect(modelsConfigEntryProblem(openai)).toBeNull();
    expect(modelsConfigEntryProblem({ ...openai, apiUrl: "localhost:8000" })).toMatch(/http\(s\) URL/);
    expect(modelsConfigEntryProblem({ ...openai, modelName: " " })).toMatch(/Name the model/);
    expect(modelsConfigEntryProblem({ ...openai, concurrentSlots: -1 })).toMatch(/whole number/);
    expect(modelsConfigEntryProblem({ ...openai, modelId: "0x12" })).toMatch(/64 lowercase hex/);
  });

  it("gives the command that serves the file on the registered endpoint's port", () => {
    expect(serveCommand({ file: "models-config.json", endpoint: "provider.example.com:3333" })).toBe("npm run provider -- serve --config models-config.json --listen 0.0.0.0:3333");
    expect(serveCommand({ file: "models-config.json" })).toBe("npm run provider -- serve --config models-config.json");
  });
});
