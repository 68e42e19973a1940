import { parseJsonBody, withWebSession } from "@/lib/auth/web-session";
import { chatRequest, playgroundChat, playgroundLimits } from "@/lib/playground";

// POST /api/playground/chat — one playground turn for the signed-in user: saves the conversation
// and streams the answer (AI SDK UI message stream) from the gateway, run in-process on the user's
// playground key. request.signal goes down: a closed tab or the Stop button stops the provider.
export const POST = withWebSession(async ({ request, user, db }) => {
  const chat = await parseJsonBody(request, chatRequest, playgroundLimits.chatBodyBytes);
  return playgroundChat(db, user, chat, request.signal);
});
