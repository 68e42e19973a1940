// The demo model: a deterministic, OpenAI-compatible stand-in for a real LLM, served over HTTP
// for the local marketplace (`npm start`, `npm run demo-model`) and for tests.
export { startDemoModel, type DemoModel, type DemoModelFault, type DemoModelOptions } from "./server";
export { DEMO_MODEL_NAME, countDemoTokens } from "./reply";
