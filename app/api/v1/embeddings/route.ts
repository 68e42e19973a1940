import { createEmbeddings, withApiKey } from "@/lib/gateway";

// POST /api/v1/embeddings: OpenAI embeddings served by a provider of the requested model.
export const POST = withApiKey((ctx) => createEmbeddings(ctx), { usageEndpoint: "embeddings" });
