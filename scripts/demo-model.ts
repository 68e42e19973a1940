// `npm run demo-model -- --port 8000 [--host 127.0.0.1] [--model name] [--token-delay-ms 20] [--first-token-delay-ms 0] [--api-key key]`
// Serves the deterministic demo model (an OpenAI-compatible stand-in for a real LLM) until Ctrl-C.
import { parseArgs } from "node:util";
import { DEMO_MODEL_NAME, startDemoModel } from "@/lib/demo-model";
import { logger } from "./lib/log";
import { onShutdownSignal } from "./lib/signals";

const log = logger("demo-model");

function readInteger(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > max) throw new Error(`${flag} must be an integer from 0 to ${max}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      model: { type: "string", default: DEMO_MODEL_NAME },
      "token-delay-ms": { type: "string", default: "20" },
      "first-token-delay-ms": { type: "string", default: "0" },
      "api-key": { type: "string" },
    },
    strict: true,
  });
  const model = await startDemoModel({
    host: values.host,
    port: readInteger(values.port, "--port", 65535),
    modelName: values.model,
    tokenDelayMs: readInteger(values["token-delay-ms"], "--token-delay-ms", 60_000),
    firstTokenDelayMs: readInteger(values["first-token-delay-ms"], "--first-token-delay-ms", 3_600_000),
    apiKey: values["api-key"],
  });
  log.info(`demo model "${values.model}" (deterministic, not a real LLM) listening on ${model.url}`);
  log.info(`chat: POST ${model.url}/chat/completions · embeddings: POST ${model.url}/embeddings · Ctrl-C stops it`);

  const stop = () => {
    model.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`failed to stop: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  onShutdownSignal(stop);
}

main().catch((error: unknown) => {
  log.error(`demo model failed to start: ${(error as Error).message}`);
  process.exit(1);
});
