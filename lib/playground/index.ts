// The browser playground: saved conversations (per user, bounded) and the chat turn that runs
// the gateway in-process on the user's playground key.
export {
  answerMetadata,
  chatMessage,
  chatRequest,
  chatSettings,
  createConversation,
  createConversationRequest,
  deleteConversation,
  getConversation,
  listConversations,
  renameConversation,
  renameConversationRequest,
  saveConversation,
  type AnswerMetadata,
  type ChatMessage,
  type ChatRequest,
  type ChatSettings,
  type ConversationDetail,
  type ConversationSummary,
} from "./conversations";
export { playgroundChat } from "./chat";
export { playgroundLimits } from "./limits";
