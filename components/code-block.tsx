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
    <div className="relative rounded-lg border border-line bg-panel">
      <div className="flex items-center justify-between border-b border-line px-4 py-1.5 text-xs text-fg-subtle">
        <span>{language}</span>
        <button type="button" onClick={copy} className="rounded px-2 py-0.5 text-fg-muted hover:bg-chip hover:text-fg">
          {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text" : "Copy"}
        </button>
      </div>
      <pre className="overflow-x-auto p-4 text-sm leading-relaxed text-fg-soft">
        <code>{children}</code>
      </pre>
    </div>
  );
}
