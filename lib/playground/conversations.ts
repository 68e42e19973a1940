// The playground's saved conversations: the request schemas of its routes and the queries, every
// one scoped to the signed-in user (another user's conversation id is "not found", never a
// different answer). Bounded by lib/playground/limits.ts.
import "server-only";
import { z } from "zod";
import { WebAuthError } from "@/lib/auth/web-auth-error";
import { Prisma, type Db } from "@/lib/db";
import { playgroundLimits as limits } from "./limits";

// ---- schemas -----------------------------------------------------------------------------------

/** What the playground shows beside an answer (the route writes it; the browser sends it back with the history). */
export const answerMetadata = z.object({
  model: z.string().max(200).optional(),
  /** Provider address that served it. */
  provider: z.string().max(42).optional(),
  ttftMs: z.number().int().min(0).max(86_400_000).optional(),
  durationMs: z.number().int().min(0).max(86_400_000).optional(),
  tokensPerSecond: z.number().min(0).max(1e9).optional(),
  promptTokens: z.number().int().min(0).max(1e9).optional(),
  completionTokens: z.number().int().min(0).max(1e9).optional(),
  requestId: z.string().max(64).optional(),
  /** Stopped by the user before the model finished. */
  stopped: z.boolean().optional(),
  /** Cut at the playground's message size. */
  truncated: z.boolean().optional(),
  /** The gateway's message when the answer broke off with an error. */
  error: z.string().max(1000).optional(),
});
export type AnswerMetadata = z.infer<typeof answerMetadata>;

export const chatMessage = z.object({
  role: z.enum(["user", "assistant"]),
  text: z.string().max(limits.messageChars, `must be at most ${limits.messageChars} characters`),
  metadata: answerMetadata.optional(),
});
export type ChatMessage = z.infer<typeof chatMessage>;

export const chatSettings = z.object({
  model: z.string().trim().min(1, "pick a model").max(200),
  system: z.string().max(limits.systemPromptChars, `must be at most ${limits.systemPromptChars} characters`).default(""),
  temperature: z.number().min(0).max(2).nullish(),
  maxTokens: z.number().int().min(1).max(limits.maxTokens).nullish(),
  topP: z.number().min(0).max(1).nullish(),
});
export type ChatSettings = z.infer<typeof chatSettings>;

/** POST /api/playground/chat */
export const chatRequest = chatSettings.extend({
  conversationId: z.uuid("must be a conversation id"),
  messages: z
    .array(chatMessage)
    .min(1, "must not be empty")
    // Room for the answer.
    .max(limits.messagesPerConversation - 1, `a conversation holds at most ${limits.messagesPerConversation} messages: start a new one`)
    .refine((messages) => messages.at(-1)?.role === "user", "the last message must be the user's")
    .refine(
      (messages) => messages.reduce((sum, m) => sum + m.text.length, 0) <= limits.conversationChars,
      `a conversation holds at most ${limits.conversationChars} characters: start a new one`,
    ),
});
export type ChatRequest = z.infer<typeof chatRequest>;

const title = z.string().trim().min(1, "must not be empty").max(limits.titleChars, `must be at most ${limits.titleChars} characters`);
/** POST /api/playground/conversations */
export const createConversationRequest = z.object({ title, model: chatSettings.shape.model });
/** PATCH /api/playground/conversations/[id] */
export const renameConversationRequest = z.object({ title });

// ---- queries -------------------------------------------------------------------------------------

export interface ConversationSummary {
  id: string;
  title: string;
  model: string;
  updatedAt: Date;
  messageCount: number;
}

export interface ConversationDetail extends ConversationSummary {
  settings: ChatSettings;
  messages: ChatMessage[];
}

const isId = (id: string) => z.uuid().safeParse(id).success;
const notFound = () => new WebAuthError("not_found", "No such conversation: it may have been deleted.");

/** The user's conversations, most recently used first. */
export async function listConversations(db: Db, userId: string): Promise<ConversationSummary[]> {
  const rows = await db.playgroundConversation.findMany({
    where: { userId },
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
    take: limits.conversationsPerUser,
    select: { id: true, title: true, model: true, updatedAt: true, _count: { select: { messages: true } } },
  });
  return rows.map(({ _count, ...row }) => ({ ...row, messageCount: _count.messages }));
}

/** One of the user's conversations with its messages; null when it is not theirs (or does not exist). */
export async function getConversation(db: Db, userId: string, id: string): Promise<ConversationDetail | null> {
  if (!isId(id)) return null;
  const row = await db.playgroundConversation.findFirst({
    where: { id, userId },
    include: { messages: { orderBy: { position: "asc" }, take: limits.messagesPerConversation } },
  });
  if (!row) return null;
  return {
    id: row.id,
    title: row.title,
    model: row.model,
    updatedAt: row.updatedAt,
    messageCount: row.messages.length,
    settings: { model: row.model, system: row.systemPrompt, temperature: row.temperature, maxTokens: row.maxTokens, topP: row.topP },
    messages: row.messages.map((m) => {
      const metadata = answerMetadata.safeParse(m.metadata);
      return { role: m.role === "assistant" ? "assistant" : "user", text: m.content, ...(metadata.success && m.metadata ? { metadata: metadata.data } : {}) };
    }),
  };
}

/** A new, empty conversation; refused (409 limit_reached) when the user already has the most allowed. */
export async function createConversation(db: Db, userId: string, input: z.infer<typeof createConversationRequest>): Promise<ConversationSummary> {
  // Serialized per user by locking the user's row, so two tabs cannot both pass the count.
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
    const count = await tx.playgroundConversation.count({ where: { userId } });
    if (count >= limits.conversationsPerUser) {
      throw new WebAuthError("limit_reached", `You have ${limits.conversationsPerUser} conversations, the most the playground keeps: delete one first.`);
    }
    const row = await tx.playgroundConversation.create({ data: { userId, title: input.title, model: input.model }, select: { id: true, title: true, model: true, updatedAt: true } });
    return { ...row, messageCount: 0 };
  });
}

export async function renameConversation(db: Db, userId: string, id: string, newTitle: string): Promise<void> {
  if (!isId(id)) throw notFound();
  const { count } = await db.playgroundConversation.updateMany({ where: { id, userId }, data: { title: newTitle } });
  if (count === 0) throw notFound();
}

export async function deleteConversation(db: Db, userId: string, id: string): Promise<void> {
  if (!isId(id)) throw notFound();
  const { count } = await db.playgroundConversation.deleteMany({ where: { id, userId } });
  if (count === 0) throw notFound();
}

/**
 * Makes the conversation's stored messages and settings those of a chat request (the browser
 * sends the whole history; a regenerated answer is simply left out of it). 404 when not the user's.
 */
export async function saveConversation(db: Db, userId: string, id: string, settings: ChatSettings, messages: ChatMessage[]): Promise<void> {
  if (messages.length > limits.messagesPerConversation) throw new WebAuthError("limit_reached", "This conversation is full: start a new one.");
  await db.$transaction(async (tx) => {
    const { count } = await tx.playgroundConversation.updateMany({
      where: { id, userId },
      data: { model: settings.model, systemPrompt: settings.system, temperature: settings.temperature ?? null, maxTokens: settings.maxTokens ?? null, topP: settings.topP ?? null },
    });
    if (count === 0) throw notFound();
    await tx.playgroundMessage.deleteMany({ where: { conversationId: id } });
    await tx.playgroundMessage.createMany({ data: messages.map((m, position) => messageRow(id, position, m)) });
  });
}

/** Stores an answer after the `position` messages it replies to (the conversation must still be the user's). */
export async function appendAnswer(db: Db, userId: string, id: string, position: number, text: string, metadata: AnswerMetadata): Promise<void> {
  if (position >= limits.messagesPerConversation) return;
  await db.$transaction(async (tx) => {
    const { count } = await tx.playgroundConversation.updateMany({ where: { id, userId }, data: { updatedAt: new Date() } });
    if (count === 0) return; // deleted while the answer streamed
    await tx.playgroundMessage.deleteMany({ where: { conversationId: id, position: { gte: position } } });
    await tx.playgroundMessage.create({ data: messageRow(id, position, { role: "assistant", text: text.slice(0, limits.messageChars), metadata }) });
  });
}

function messageRow(conversationId: string, position: number, m: ChatMessage): Prisma.PlaygroundMessageCreateManyInput {
  return { conversationId, position, role: m.role, content: m.text, metadata: m.metadata ? (m.metadata as Prisma.InputJsonValue) : Prisma.DbNull };
}
