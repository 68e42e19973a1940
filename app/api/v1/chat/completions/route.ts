import { createChatCompletion, withApiKey } from "@/lib/gateway";

// POST /api/v1/chat/completions: OpenAI chat completions (SSE when stream: true) served by the
// best-rated provider through the gateway's on-chain sessions.
export const POST = withApiKey((ctx) => createChatCompletion(ctx), { usageEndpoint: "chat.completions" });
