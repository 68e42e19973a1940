// The bounds of the playground's saved conversations (each enforced by lib/playground and its
// routes): a user's storage, and one chat request, cannot grow without limit.
export const playgroundLimits = {
  conversationsPerUser: 50,
  messagesPerConversation: 100,
  /** Characters of one message (a prompt, or an answer: a longer answer is cut there). */
  messageChars: 32_000,
  /** Characters of a whole conversation sent with one request. */
  conversationChars: 200_000,
  systemPromptChars: 8_000,
  titleChars: 100,
  /** Largest max_tokens the playground asks for. */
  maxTokens: 8_192,
  /** Largest chat request body, in bytes (JSON of the conversation plus settings). */
  chatBodyBytes: 1024 * 1024,
} as const;
