import { z } from "zod";
import { revokeApiKey } from "@/lib/auth/api-keys";
import { withWebSession } from "@/lib/auth/web-session";
import { WebAuthError } from "@/lib/auth/web-auth-error";
import { apiKeyWebError } from "../errors";

const keyId = z.uuid();

// DELETE /api/keys/:id — revokes one of the signed-in wallet's keys (another wallet's id is a 404).
export const DELETE = withWebSession<{ id: string }>(async ({ user, params, db }) => {
  if (!keyId.safeParse(params.id).success) throw new WebAuthError("not_found", "No such API key.");
  try {
    const apiKey = await revokeApiKey(db, { id: params.id }, { owner: user.address });
    return Response.json({ apiKey });
  } catch (error) {
    throw apiKeyWebError(error);
  }
});
