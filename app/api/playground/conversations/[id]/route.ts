import { WebAuthError } from "@/lib/auth/web-auth-error";
import { parseJsonBody, withWebSession } from "@/lib/auth/web-session";
import { deleteConversation, getConversation, renameConversation, renameConversationRequest } from "@/lib/playground";

type Params = { id: string };
const noStore = { "cache-control": "no-store" };

// GET /api/playground/conversations/[id] — one of the user's conversations with its messages (404 for anyone else's).
export const GET = withWebSession<Params>(async ({ user, params, db }) => {
  const conversation = await getConversation(db, user.id, params.id);
  if (!conversation) throw new WebAuthError("not_found", "No such conversation: it may have been deleted.");
  return Response.json({ conversation }, { headers: noStore });
});

// PATCH /api/playground/conversations/[id] — renames it.
export const PATCH = withWebSession<Params>(async ({ request, user, params, db }) => {
  const { title } = await parseJsonBody(request, renameConversationRequest);
  await renameConversation(db, user.id, params.id, title);
  return Response.json({ renamed: true }, { headers: noStore });
});

// DELETE /api/playground/conversations/[id] — deletes it and its messages.
export const DELETE = withWebSession<Params>(async ({ user, params, db }) => {
  await deleteConversation(db, user.id, params.id);
  return Response.json({ deleted: true }, { headers: noStore });
});
