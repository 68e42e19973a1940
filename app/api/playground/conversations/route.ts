import { parseJsonBody, withWebSession } from "@/lib/auth/web-session";
import { createConversation, createConversationRequest, listConversations } from "@/lib/playground";

const noStore = { "cache-control": "no-store" };

// GET /api/playground/conversations — the signed-in user's saved conversations, newest first.
export const GET = withWebSession(async ({ user, db }) => Response.json({ conversations: await listConversations(db, user.id) }, { headers: noStore }));

// POST /api/playground/conversations — starts a new (empty) conversation; 409 at the per-user limit.
export const POST = withWebSession(async ({ request, user, db }) => {
  const input = await parseJsonBody(request, createConversationRequest);
  return Response.json({ conversation: await createConversation(db, user.id, input) }, { status: 201, headers: noStore });
});
