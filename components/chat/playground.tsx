"use client";

// First: zod must be configured before the AI SDK builds its schemas (see the module).
import "./zod-jitless";
import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport, type UIMessage } from "ai";
import dynamic from "next/dynamic";
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { CodeBlock } from "@/components/code-block";
import type { AnswerMetadata, ChatMessage, ChatSettings } from "@/lib/playground/conversations";
import { playgroundLimits as limits } from "@/lib/playground/limits";
import { curlSnippet, jsSnippet, pythonSnippet, type CodeRequest } from "./request-code";

// The Markdown renderer and its highlighter are the heaviest part of the page: a chunk of their
// own, fetched after the page's first load (server-rendered answers stay as rendered meanwhile).
const ChatMarkdown = dynamic(() => import("./markdown").then((m) => m.ChatMarkdown));

export interface ModelOption {
  /** What /api/v1 takes as `model`. */
  id: string;
  name: string;
  /** Active bids: 0 = nobody serves it now. */
  providers: number;
}
export interface ConversationItem {
  id: string;
  title: string;
  model: string;
  updatedAt: string;
  messageCount: number;
}
export interface OpenedConversation {
  id: string;
  title: string;
  settings: ChatSettings;
  messages: ChatMessage[];
}
type PlaygroundMessage = UIMessage<AnswerMetadata>;

const button = "rounded-lg border border-line px-3 py-1.5 text-sm text-fg-soft hover:bg-chip hover:text-fg disabled:cursor-not-allowed disabled:opacity-50";
const primary = "rounded-lg bg-accent px-4 py-2 text-sm font-semibold text-white hover:opacity-90 disabled:cursor-not-allowed disabled:opacity-50 dark:text-ink-950";
const field = "w-full rounded-lg border border-line bg-page px-3 py-2 text-sm text-fg placeholder:text-fg-subtle focus:outline-2 focus:outline-accent";

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON: the status below says enough
  }
  return `The request failed (HTTP ${response.status}).`;
}

/** A refused request's message: the route's JSON error body arrives as the error's text. */
function readableError(error: Error): string {
  try {
    const body = JSON.parse(error.message) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") return body.error.message;
  } catch {
    // not JSON: the gateway's message as streamed
  }
  return error.message;
}

const textOf = (m: PlaygroundMessage) => m.parts.map((p) => (p.type === "text" ? p.text : "")).join("");

function toUiMessages(id: string, messages: ChatMessage[]): PlaygroundMessage[] {
  return messages.map((m, i) => ({ id: `${id}-${i}`, role: m.role, metadata: m.metadata, parts: [{ type: "text", text: m.text }] }));
}

/** The chat playground: conversations on the left (a disclosure on phones), the chat on the right. */
export function Playground(props: {
  models: ModelOption[] | null;
  initialConversations: ConversationItem[];
  initialConversation: OpenedConversation | null;
  keyHint: { name: string; prefix: string } | null;
  apiBase: string;
}) {
  const { models, keyHint, apiBase } = props;
  const firstServed = models?.find((m) => m.providers > 0)?.id ?? models?.[0]?.id ?? "";
  const [conversations, setConversations] = useState(props.initialConversations);
  const [opened, setOpened] = useState<OpenedConversation | null>(props.initialConversation);
  const [pending, setPending] = useState<string | null>(null);
  const [settings, setSettings] = useState<ChatSettings>(props.initialConversation?.settings ?? { model: firstServed, system: "", temperature: null, maxTokens: null, topP: null });
  const [listError, setListError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refreshList = useCallback(async () => {
    const response = await fetch("/api/playground/conversations", { cache: "no-store" });
    if (response.ok) setConversations(((await response.json()) as { conversations: ConversationItem[] }).conversations);
  }, []);

  // The open conversation is in the URL, so a reload (or a shared tab) comes back to it.
  useEffect(() => {
    const url = new URL(window.location.href);
    if (opened) url.searchParams.set("c", opened.id);
    else url.searchParams.delete("c");
    window.history.replaceState(null, "", url);
  }, [opened]);

  const open = async (id: string) => {
    setListError(null);
    const response = await fetch(`/api/playground/conversations/${id}`, { cache: "no-store" });
    if (!response.ok) {
      setListError(await errorMessage(response));
      if (response.status === 404) void refreshList();
      return;
    }
    const { conversation } = (await response.json()) as { conversation: OpenedConversation };
    setPending(null);
    setOpened(conversation);
    setSettings({ ...conversation.settings, model: models?.some((m) => m.id === conversation.settings.model) ? conversation.settings.model : settings.model });
  };

  /** The first message of a new chat: the conversation is created, then the message sent in it. */
  const start = async (text: string): Promise<boolean> => {
    setListError(null);
    setBusy(true);
    try {
      const title = text.replace(/\s+/g, " ").trim().slice(0, 60) || "New chat";
      const response = await fetch("/api/playground/conversations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title, model: settings.model }),
      });
      if (!response.ok) {
        setListError(await errorMessage(response));
        return false;
      }
      const { conversation } = (await response.json()) as { conversation: ConversationItem };
      setConversations((list) => [conversation, ...list]);
      setPending(text);
      setOpened({ id: conversation.id, title: conversation.title, settings, messages: [] });
      return true;
    } finally {
      setBusy(false);
    }
  };

  const rename = async (id: string, title: string) => {
    setListError(null);
    const response = await fetch(`/api/playground/conversations/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ title }) });
    if (!response.ok) return setListError(await errorMessage(response));
    setConversations((list) => list.map((c) => (c.id === id ? { ...c, title } : c)));
    if (opened?.id === id) setOpened({ ...opened, title });
  };

  const remove = async (id: string) => {
    setListError(null);
    const response = await fetch(`/api/playground/conversations/${id}`, { method: "DELETE" });
    if (!response.ok && response.status !== 404) return setListError(await errorMessage(response));
    setConversations((list) => list.filter((c) => c.id !== id));
    if (opened?.id === id) {
      setOpened(null);
      setPending(null);
    }
  };

  const newChat = () => {
    setOpened(null);
    setPending(null);
    setListError(null);
  };

  if (models === null) {
    return (
      <div role="alert" className="rounded-xl border border-red-500/40 bg-red-500/10 p-6 text-red-800 dark:text-red-200">
        <h1 className="mb-2 text-xl font-semibold">The model catalog is unavailable</h1>
        <p>The chain could not be read right now, so there is no model to chat with. Please reload in a moment.</p>
      </div>
    );
  }

  return (
    <div className="grid gap-6 lg:grid-cols-[16rem_minmax(0,1fr)]">
      <ConversationList
        conversations={conversations}
        activeId={opened?.id ?? null}
        error={listError}
        onOpen={open}
        onNew={newChat}
        onRename={rename}
        onDelete={remove}
      />
      <section className="min-w-0 space-y-4" aria-label="Chat">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h1 className="text-3xl font-bold text-fg">Playground</h1>
          <ViewCode apiBase={apiBase} keyHint={keyHint} settings={settings} messages={opened?.messages ?? []} />
        </div>
        <SettingsPanel models={models} settings={settings} onChange={setSettings} />
        {models.length === 0 ? (
          <p className="rounded-xl border border-line bg-panel p-6 text-fg-muted">No models are registered on the marketplace yet, so there is nothing to chat with.</p>
        ) : (
          <ChatPane
            key={opened?.id ?? "new"}
            conversation={opened}
            pending={pending}
            settings={settings}
            startBusy={busy}
            onStart={start}
            onPendingSent={() => setPending(null)}
            onTurnEnd={(messages) => {
              if (opened) setOpened({ ...opened, messages });
              void refreshList();
            }}
          />
        )}
      </section>
    </div>
  );
}

function ConversationList(props: {
  conversations: ConversationItem[];
  activeId: string | null;
  error: string | null;
  onOpen: (id: string) => void;
  onNew: () => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const list = (
    <div className="space-y-3">
      <button type="button" onClick={props.onNew} className={`${button} w-full`}>
        New chat
      </button>
      {props.error && (
        <p role="alert" className="rounded-lg border border-red-500/40 bg-red-500/10 p-2 text-sm text-red-800 dark:text-red-200">
          {props.error}
        </p>
      )}
      {props.conversations.length === 0 ? (
        <p className="text-sm text-fg-subtle">No saved conversations yet: your chats are saved here as you go.</p>
      ) : (
        <ul className="space-y-1" aria-label="Saved conversations">
          {props.conversations.map((c) => (
            <li key={c.id} data-testid="conversation-item" className={`rounded-lg border ${c.id === props.activeId ? "border-accent bg-chip" : "border-transparent"}`}>
              {editing === c.id ? (
                <form
                  className="flex gap-1 p-1"
                  onSubmit={async (event) => {
                    event.preventDefault();
                    await props.onRename(c.id, draft.trim());
                    setEditing(null);
                  }}
                >
                  <input
                    aria-label="Conversation title"
                    className={field}
                    value={draft}
                    maxLength={limits.titleChars}
                    autoFocus
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => e.key === "Escape" && setEditing(null)}
                  />
                  <button type="submit" className={button} disabled={draft.trim() === ""}>
                    Save
                  </button>
                </form>
              ) : confirming === c.id ? (
                <div className="space-y-2 p-2 text-sm">
                  <p className="text-fg-soft">Delete “{c.title}”?</p>
                  <div className="flex gap-2">
                    <button type="button" className={`${button} border-red-500/60 text-red-700 dark:text-red-300`} onClick={() => void props.onDelete(c.id).then(() => setConfirming(null))}>
                      Delete
                    </button>
                    <button type="button" className={button} onClick={() => setConfirming(null)}>
                      Keep
                    </button>
                  </div>
                </div>
              ) : (
                <div className="flex items-center gap-1">
                  <button type="button" className="min-w-0 flex-1 truncate px-2 py-2 text-left text-sm text-fg-soft hover:text-fg" onClick={() => props.onOpen(c.id)} title={c.title}>
                    {c.title}
                  </button>
                  <button
                    type="button"
                    className="rounded px-1.5 py-1 text-xs text-fg-subtle hover:bg-chip hover:text-fg"
                    aria-label={`Rename ${c.title}`}
                    onClick={() => {
                      setDraft(c.title);
                      setEditing(c.id);
                    }}
                  >
                    Rename
                  </button>
                  <button type="button" className="rounded px-1.5 py-1 text-xs text-fg-subtle hover:bg-chip hover:text-red-600" aria-label={`Delete ${c.title}`} onClick={() => setConfirming(c.id)}>
                    Delete
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
  return (
    <aside aria-label="Conversations">
      <details className="rounded-xl border border-line bg-panel p-3 lg:hidden">
        <summary className="cursor-pointer text-sm font-semibold text-fg">Conversations ({props.conversations.length})</summary>
        <div className="mt-3">{list}</div>
      </details>
      <div className="hidden rounded-xl border border-line bg-panel p-3 lg:block">
        <h2 className="mb-3 text-sm font-semibold text-fg">Conversations</h2>
        {list}
      </div>
    </aside>
  );
}

function SettingsPanel({ models, settings, onChange }: { models: ModelOption[]; settings: ChatSettings; onChange: (s: ChatSettings) => void }) {
  const number = (value: string) => (value.trim() === "" ? null : Number(value));
  return (
    <div className="space-y-3 rounded-xl border border-line bg-panel p-4">
      <label className="block space-y-1 text-sm">
        <span className="font-medium text-fg-soft">Model</span>
        <select className={field} value={settings.model} onChange={(e) => onChange({ ...settings, model: e.target.value })} data-testid="model-select">
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} — {m.providers === 0 ? "no provider now" : `${m.providers} provider${m.providers === 1 ? "" : "s"}`}
            </option>
          ))}
        </select>
      </label>
      <details>
        <summary className="cursor-pointer text-sm font-medium text-fg-soft">System prompt and sampling</summary>
        <div className="mt-3 space-y-3">
          <label className="block space-y-1 text-sm">
            <span className="text-fg-muted">System prompt</span>
            <textarea
              className={`${field} min-h-20`}
              maxLength={limits.systemPromptChars}
              value={settings.system}
              placeholder="You are a helpful assistant."
              onChange={(e) => onChange({ ...settings, system: e.target.value })}
            />
          </label>
          <div className="grid gap-3 sm:grid-cols-3">
            <label className="block space-y-1 text-sm">
              <span className="text-fg-muted">Temperature (0–2)</span>
              <input className={field} type="number" min={0} max={2} step={0.1} placeholder="model default" value={settings.temperature ?? ""} onChange={(e) => onChange({ ...settings, temperature: number(e.target.value) })} />
            </label>
            <label className="block space-y-1 text-sm">
              <span className="text-fg-muted">Max tokens</span>
              <input className={field} type="number" min={1} max={limits.maxTokens} step={1} placeholder="model default" value={settings.maxTokens ?? ""} onChange={(e) => onChange({ ...settings, maxTokens: number(e.target.value) })} />
            </label>
            <label className="block space-y-1 text-sm">
              <span className="text-fg-muted">Top-p (0–1)</span>
              <input className={field} type="number" min={0} max={1} step={0.05} placeholder="model default" value={settings.topP ?? ""} onChange={(e) => onChange({ ...settings, topP: number(e.target.value) })} />
            </label>
          </div>
        </div>
      </details>
    </div>
  );
}

function ChatPane(props: {
  conversation: OpenedConversation | null;
  pending: string | null;
  settings: ChatSettings;
  startBusy: boolean;
  onStart: (text: string) => Promise<boolean>;
  onPendingSent: () => void;
  onTurnEnd: (messages: ChatMessage[]) => void;
}) {
  const { conversation } = props;
  // The settings of the moment go with each send / regenerate as its `body`.
  const transport = useMemo(
    () =>
      new DefaultChatTransport<PlaygroundMessage>({
        api: "/api/playground/chat",
        prepareSendMessagesRequest: ({ id, messages, body }) => ({
          body: {
            ...body,
            conversationId: id,
            messages: messages.map((m) => ({ role: m.role, text: textOf(m), ...(m.role === "assistant" && m.metadata ? { metadata: m.metadata } : {}) })),
          },
        }),
      }),
    [],
  );
  const onTurnEnd = props.onTurnEnd;
  const { messages, setMessages, sendMessage, status, stop, regenerate, error, clearError } = useChat<PlaygroundMessage>({
    id: conversation?.id,
    messages: conversation ? toUiMessages(conversation.id, conversation.messages) : [],
    transport,
    onFinish: ({ message, messages: all, isAbort }) => {
      // A stopped answer never gets its closing metadata (the server saves it as stopped): mark it here.
      const final = isAbort && message.role === "assistant" ? all.map((m) => (m.id === message.id ? { ...m, metadata: { ...m.metadata, stopped: true } } : m)) : all;
      if (final !== all) setMessages(final);
      onTurnEnd(final.map((m) => ({ role: m.role === "assistant" ? "assistant" : "user", text: textOf(m), ...(m.metadata ? { metadata: m.metadata } : {}) })));
    },
  });
  const [input, setInput] = useState("");
  const running = status === "submitted" || status === "streaming";

  // A new chat's first message, sent once its conversation exists.
  const pendingSent = useRef(false);
  useEffect(() => {
    if (props.pending && conversation && !pendingSent.current) {
      pendingSent.current = true;
      void sendMessage({ text: props.pending }, { body: props.settings });
      props.onPendingSent();
    }
  }, [props, conversation, sendMessage]);

  // Esc stops a running answer, wherever the focus is.
  useEffect(() => {
    if (!running) return;
    const onKey = (e: globalThis.KeyboardEvent) => e.key === "Escape" && void stop();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [running, stop]);

  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // In braces: newer browsers return a Promise from scrollIntoView, which React would take for a cleanup.
    bottom.current?.scrollIntoView({ block: "nearest" });
  }, [messages]);

  const send = async () => {
    const text = input.trim();
    if (!text || running || props.startBusy || !props.settings.model) return;
    clearError();
    if (!conversation) {
      if (await props.onStart(text)) setInput("");
      return;
    }
    setInput("");
    await sendMessage({ text }, { body: props.settings });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };
  const full = messages.length >= limits.messagesPerConversation - 1;
  const lastAssistant = [...messages].reverse().find((m) => m.role === "assistant")?.id;

  return (
    <div className="space-y-4">
      <div className="min-h-64 space-y-4 rounded-xl border border-line bg-panel p-4 sm:p-6" aria-live="polite" data-testid="chat-log">
        {messages.length === 0 && !running ? (
          <div className="py-10 text-center" data-testid="chat-empty">
            <p className="text-lg font-semibold text-fg">Ask the marketplace something</p>
            <p className="mt-1 text-sm text-fg-muted">Answers stream from a provider on the network, paid by the gateway. Your chats are saved to your account.</p>
          </div>
        ) : (
          messages.map((m) => <MessageView key={m.id} message={m} streaming={running && m.id === messages.at(-1)?.id && m.role === "assistant"} canRegenerate={!running && m.id === lastAssistant} onRegenerate={() => void regenerate({ body: props.settings })} />)
        )}
        {status === "submitted" && (
          <p className="text-sm text-fg-subtle" data-testid="chat-waiting">
            Finding a provider…
          </p>
        )}
        {error && (
          <div role="alert" className="rounded-lg border border-red-500/40 bg-red-500/10 p-3 text-sm text-red-800 dark:text-red-200" data-testid="chat-error">
            <p className="font-semibold">The answer failed</p>
            <p className="mt-1 break-words">{readableError(error)}</p>
            <button type="button" className={`${button} mt-2`} onClick={() => void regenerate({ body: props.settings })}>
              Try again
            </button>
          </div>
        )}
        <div ref={bottom} />
      </div>
      <form
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label htmlFor="prompt" className="sr-only">
          Message
        </label>
        <textarea
          id="prompt"
          className={`${field} min-h-24 resize-y`}
          placeholder={full ? "This conversation is full: start a new chat." : "Message the model (Enter sends, Shift+Enter for a new line)"}
          value={input}
          maxLength={limits.messageChars}
          disabled={full}
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-xs text-fg-subtle">{running ? "Esc stops the answer." : "Enter sends · Shift+Enter new line"}</p>
          {running ? (
            <button type="button" className={button} onClick={() => void stop()}>
              Stop
            </button>
          ) : (
            <button type="submit" className={primary} disabled={!input.trim() || props.startBusy || full || !props.settings.model}>
              Send
            </button>
          )}
        </div>
      </form>
    </div>
  );
}

function MessageView({ message, streaming, canRegenerate, onRegenerate }: { message: PlaygroundMessage; streaming: boolean; canRegenerate: boolean; onRegenerate: () => void }) {
  const text = textOf(message);
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  if (message.role === "user") {
    return (
      <div className="flex justify-end" data-testid="user-message">
        <p className="max-w-[85%] whitespace-pre-wrap break-words rounded-xl bg-chip px-4 py-2 text-fg">{text}</p>
      </div>
    );
  }
  const meta = message.metadata;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied("idle"), 2000);
  };
  return (
    <article className="space-y-2" data-testid="assistant-message" aria-busy={streaming}>
      <div className="text-fg-soft">{text ? <ChatMarkdown text={text} /> : streaming ? <span className="text-fg-subtle">…</span> : null}</div>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-fg-subtle" data-testid="answer-stats">
        {meta?.provider && (
          <span>
            provider <span className="font-mono" title={meta.provider} data-testid="answer-provider">{`${meta.provider.slice(0, 6)}…${meta.provider.slice(-4)}`}</span>
          </span>
        )}
        {meta?.ttftMs !== undefined && <span data-testid="answer-ttft">TTFT {meta.ttftMs} ms</span>}
        {meta?.tokensPerSecond !== undefined && <span>{meta.tokensPerSecond.toFixed(meta.tokensPerSecond < 10 ? 1 : 0)} tok/s</span>}
        {meta?.completionTokens !== undefined && (
          <span>
            {meta.promptTokens ?? 0} in / {meta.completionTokens} out
          </span>
        )}
        {meta?.stopped && <span className="text-amber-700 dark:text-amber-300" data-testid="answer-stopped">stopped</span>}
        {meta?.truncated && <span>cut at {limits.messageChars} characters</span>}
        {!streaming && text && (
          <button type="button" className="rounded px-1.5 py-0.5 hover:bg-chip hover:text-fg" onClick={copy}>
            {copied === "copied" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}
          </button>
        )}
        {canRegenerate && (
          <button type="button" className="rounded px-1.5 py-0.5 hover:bg-chip hover:text-fg" onClick={onRegenerate}>
            Regenerate
          </button>
        )}
      </div>
    </article>
  );
}

function ViewCode({ apiBase, keyHint, settings, messages }: { apiBase: string; keyHint: { name: string; prefix: string } | null; settings: ChatSettings; messages: ChatMessage[] }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [tab, setTab] = useState<"curl" | "javascript" | "python">("curl");
  const request: CodeRequest = {
    model: settings.model,
    messages: [
      ...(settings.system.trim() ? [{ role: "system", content: settings.system }] : []),
      ...(messages.length > 0 ? messages.map((m) => ({ role: m.role, content: m.text })) : [{ role: "user", content: "Hello!" }]),
    ],
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    topP: settings.topP,
  };
  const code = tab === "curl" ? curlSnippet(apiBase, request) : tab === "javascript" ? jsSnippet(apiBase, request) : pythonSnippet(apiBase, request);
  return (
    <>
      <button type="button" className={button} onClick={() => dialog.current?.showModal()}>
        View code
      </button>
      <dialog ref={dialog} className="m-auto w-[min(48rem,calc(100vw-2rem))] rounded-xl border border-line bg-page p-0 text-fg backdrop:bg-black/50" aria-labelledby="view-code-title">
        <div className="space-y-4 p-5">
          <div className="flex items-start justify-between gap-3">
            <h2 id="view-code-title" className="text-lg font-semibold">
              This request from your code
            </h2>
            <button type="button" className={button} onClick={() => dialog.current?.close()}>
              Close
            </button>
          </div>
          <p className="text-sm text-fg-muted">
            {keyHint ? (
              <>
                Set <code className="font-mono">MORPHEUS_API_KEY</code> to your key “{keyHint.name}” (<span className="font-mono">{keyHint.prefix}…</span>): its secret was shown once when you created it.
              </>
            ) : (
              <>
                Set <code className="font-mono">MORPHEUS_API_KEY</code> to an API key: create one on your{" "}
                <a href="/dashboard" className="text-accent underline-offset-4 hover:underline">
                  dashboard
                </a>
                .
              </>
            )}
          </p>
          <div role="tablist" aria-label="Language" className="flex gap-2">
            {(["curl", "javascript", "python"] as const).map((name) => (
              <button key={name} type="button" role="tab" aria-selected={tab === name} className={`${button} ${tab === name ? "border-accent text-fg" : ""}`} onClick={() => setTab(name)}>
                {name === "curl" ? "curl" : name === "javascript" ? "OpenAI JS" : "Python"}
              </button>
            ))}
          </div>
          <div className="max-h-[60vh] overflow-auto">
            <CodeBlock language={tab}>{code}</CodeBlock>
          </div>
        </div>
      </dialog>
    </>
  );
}
