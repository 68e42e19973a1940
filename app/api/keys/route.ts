import { createApiKey } from "@/lib/auth/api-keys";
import { parseJsonBody, withWebSession } from "@/lib/auth/web-session";
import { apiKeyWebError } from "./errors";
import { createKeyBody } from "./schema";

// POST /api/keys — creates an API key for the signed-in wallet; the secret is in this response only.
export const POST = withWebSession(async ({ request, user, db }) => {
  const body = await parseJsonBody(request, createKeyBody, 16 * 1024);
  try {
    const { key, apiKey } = await createApiKey(db, { ...body, owner: user.address, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null });
    return Response.json({ key, apiKey }, { status: 201, headers: { "cache-control": "no-store" } });
  } catch (error) {
    throw apiKeyWebError(error);
  }
});
