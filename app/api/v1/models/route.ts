import { listModels, withApiKey } from "@/lib/gateway";

// GET /api/v1/models: the active models of the on-chain registry, in OpenAI's list shape.
export const GET = withApiKey((ctx) => listModels(ctx));
