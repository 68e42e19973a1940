"use client";

import { useEffect, useRef } from "react";
import { CodeBlock } from "@/components/code-block";

/** The new key, shown this once, with ready-to-run snippets that use it. */
export function NewKeyReveal({ apiKey, name, model, apiBaseUrl, onDone }: { apiKey: string; name: string; model?: string; apiBaseUrl: string; onDone: () => void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const curl = model
    ? `curl ${apiBaseUrl}/chat/completions \\
  -H "Authorization: Bearer ${apiKey}" -H "Content-Type: application/json" \\
  -d '{"model": ${JSON.stringify(model)}, "messages": [{"role": "user", "content": "Hello!"}]}'`
    : `curl ${apiBaseUrl}/models -H "Authorization: Bearer ${apiKey}"`;
  const modelName = JSON.stringify(model ?? "MODEL_ID");
  const js = `import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${apiBaseUrl}", apiKey: process.env.MORPHEUS_API_KEY });
const reply = await client.chat.completions.create({
  model: ${modelName},
  messages: [{ role: "user", content: "Hello!" }],
});
console.log(reply.choices[0].message.content);`;
  const python = `import os
from openai import OpenAI

client = OpenAI(base_url="${apiBaseUrl}", api_key=os.environ["MORPHEUS_API_KEY"])
reply = client.chat.completions.create(
    model=${modelName},
    messages=[{"role": "user", "content": "Hello!"}],
)
print(reply.choices[0].message.content)`;
  return (
    <section aria-labelledby="new-key-title" className="space-y-4 rounded-xl border border-brand-500/60 bg-panel p-5 sm:p-6" data-testid="new-key">
      <div className="space-y-1">
        <h3 id="new-key-title" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-fg focus:outline-none">
          Your new key “{name}”
        </h3>
        <p className="text-sm text-fg-muted">
          Copy it now: it is shown only this once and cannot be recovered. Only its hash is stored; if you lose it, revoke it and create another.
        </p>
      </div>
      <CodeBlock language="API key">{apiKey}</CodeBlock>
      <CodeBlock language=".env">{`MORPHEUS_API_KEY=${apiKey}\nOPENAI_BASE_URL=${apiBaseUrl}`}</CodeBlock>
      <CodeBlock language="curl">{curl}</CodeBlock>
      <CodeBlock language="JavaScript (openai)">{js}</CodeBlock>
      <CodeBlock language="Python (openai)">{python}</CodeBlock>
      <button
        type="button"
        onClick={onDone}
        className="rounded-lg border border-line px-4 py-2 text-sm font-medium text-fg hover:border-brand-500 focus-visible:outline-2 focus-visible:outline-brand-500"
      >
        I have stored my key
      </button>
    </section>
  );
}
