"use client";

import { useState } from "react";

/** A code sample with a working copy button (clipboard access can be refused: then it says so). */
export function CodeBlock({ children, language }: { children: string; language: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(children);
      setState("copied");
    } catch {
      setState("failed");
    }
    setTimeout(() => setState("idle"), 2000);
  };
  return (
    <div className="relative rounded-lg border border-ink-700 bg-ink-900">
      <div className="flex items-center justify-between border-b border-ink-700 px-4 py-1.5 text-xs text-zinc-500">
        <span>{language}</span>
        <button type="button" onClick={copy} className="rounded px-2 py-0.5 text-zinc-400 hover:bg-ink-700 hover:text-white">
          {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text" : "Copy"}
        </button>
      </div>
      <pre className="overflow-x-auto p-4 text-sm leading-relaxed text-zinc-200">
        <code>{children}</code>
      </pre>
    </div>
  );
}
