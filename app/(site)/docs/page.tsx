import type { Metadata } from "next";
import { headers } from "next/headers";
import { publicApiBaseUrl } from "@/lib/auth/origin";
import Link from "next/link";
import { CodeBlock } from "@/components/code-block";

export const metadata: Metadata = { title: "API docs" };

/** The gateway's base URL for the examples (APP_ORIGIN, else the Host header; never X-Forwarded-Host). */
async function apiBaseUrl(): Promise<string> {
  return publicApiBaseUrl(await headers());
}

const errors: Array<[string, string, string]> = [
  ["401", "invalid_api_key", "Missing, malformed, expired or revoked key."],
  ["404", "model_not_found", "No active model with that id, or the key's model allow-list excludes it."],
  ["400", "invalid_request_error", "A field is missing or malformed; `param` names it."],
  ["413", "request_too_large", "The body is over the limit (4 MiB unless the operator changed GATEWAY_MAX_BODY_BYTES)."],
  ["429", "rate_limit_exceeded", "Over the key's requests or tokens per minute; wait `retry-after` seconds."],
  ["502", "upstream_error", "The provider's model answered with an error."],
  ["503", "no_provider_available", "No provider can serve the model right now (none bids, or all failed); retry shortly."],
];

export default async function DocsPage() {
  const base = await apiBaseUrl();
  return (
    <article className="max-w-3xl space-y-10">
      <header className="space-y-3">
        <h1 className="text-3xl font-bold text-fg">Use the gateway</h1>
        <p className="text-fg-muted">
          The gateway speaks the OpenAI API. Point any OpenAI SDK or tool at <code className="break-all text-accent">{base}</code> with a
          Morpheus API key: the gateway picks the best-rated provider bidding on the model, opens and reuses on-chain sessions with
          it, and relays your request over MOR-RPC, the provider protocol: requests are signed (not encrypted) on their way to the
          provider, replies come back encrypted to the gateway and signed by the provider.
        </p>
      </header>

      <section className="space-y-3" aria-labelledby="key">
        <h2 id="key" className="text-xl font-semibold text-fg">
          1. Get an API key
        </h2>
        <p className="text-fg-muted">
          Keys look like <code>mor_sk_…</code> and are shown once, when created. Operators of this gateway create them from the command
          line (the key is printed alone on the last line):
        </p>
        <CodeBlock language="sh">{`npm run keys -- create --owner 0xYourWalletAddress --name my-app
# optional: --expires 30d  --models morpheus-demo-chat  --rpm 60  --tpm 100000
npm run keys -- list
npm run keys -- revoke mor_sk_AbCd1   # by prefix or id; effective on the next request`}</CodeBlock>
        <p className="text-fg-muted">
          Keep keys secret: send them only in the <code>Authorization: Bearer</code> header, never in URLs or front-end code.
        </p>
      </section>

      <section className="space-y-3" aria-labelledby="curl">
        <h2 id="curl" className="text-xl font-semibold text-fg">
          2. curl
        </h2>
        <CodeBlock language="sh">{`export MORPHEUS_API_KEY=mor_sk_...

# the models providers serve right now (read from the chain)
curl ${base}/models -H "Authorization: Bearer $MORPHEUS_API_KEY"

# a chat completion
curl ${base}/chat/completions \\
  -H "Authorization: Bearer $MORPHEUS_API_KEY" -H "Content-Type: application/json" \\
  -d '{"model": "morpheus-demo-chat", "messages": [{"role": "user", "content": "Hello!"}]}'

# streamed (server-sent events), with token usage in the last chunk
curl -N ${base}/chat/completions \\
  -H "Authorization: Bearer $MORPHEUS_API_KEY" -H "Content-Type: application/json" \\
  -d '{"model": "morpheus-demo-chat", "stream": true, "stream_options": {"include_usage": true},
       "messages": [{"role": "user", "content": "Hello!"}]}'

# embeddings
curl ${base}/embeddings \\
  -H "Authorization: Bearer $MORPHEUS_API_KEY" -H "Content-Type: application/json" \\
  -d '{"model": "morpheus-demo-chat", "input": ["first text", "second text"]}'`}</CodeBlock>
      </section>

      <section className="space-y-3" aria-labelledby="js">
        <h2 id="js" className="text-xl font-semibold text-fg">
          3. OpenAI JavaScript / TypeScript SDK
        </h2>
        <CodeBlock language="ts">{`import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${base}", apiKey: process.env.MORPHEUS_API_KEY });

const completion = await client.chat.completions.create({
  model: "morpheus-demo-chat",
  messages: [{ role: "user", content: "Hello!" }],
});
console.log(completion.choices[0].message.content);

const stream = await client.chat.completions.create({
  model: "morpheus-demo-chat",
  messages: [{ role: "user", content: "Tell me a story" }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");`}</CodeBlock>
      </section>

      <section className="space-y-3" aria-labelledby="python">
        <h2 id="python" className="text-xl font-semibold text-fg">
          4. OpenAI Python SDK
        </h2>
        <CodeBlock language="python">{`import os
from openai import OpenAI

client = OpenAI(base_url="${base}", api_key=os.environ["MORPHEUS_API_KEY"])

completion = client.chat.completions.create(
    model="morpheus-demo-chat",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(completion.choices[0].message.content)

for chunk in client.chat.completions.create(
    model="morpheus-demo-chat",
    messages=[{"role": "user", "content": "Tell me a story"}],
    stream=True,
):
    print(chunk.choices[0].delta.content or "", end="")

vectors = client.embeddings.create(model="morpheus-demo-chat", input=["first text", "second text"])`}</CodeBlock>
      </section>

      <section className="space-y-3" aria-labelledby="details">
        <h2 id="details" className="text-xl font-semibold text-fg">
          5. What to expect
        </h2>
        <ul className="list-disc space-y-2 pl-5 text-fg-muted">
          <li>
            <code>model</code> is a model&apos;s on-chain name as listed by <code>GET /models</code> (or its 0x model id); each entry also
            carries <code>morpheus_model_id</code> and <code>tags</code>. The <Link href="/models" className="text-accent hover:underline">models page</Link> shows
            the providers and their prices.
          </li>
          <li>
            Fields the gateway does not interpret — <code>tools</code>, <code>tool_choice</code>, <code>response_format</code>,{" "}
            <code>temperature</code> and the other sampling options — are passed to the provider&apos;s model unchanged.
          </li>
          <li>
            Every response has an <code>x-request-id</code> header; quote it when reporting a problem. Responses also carry OpenAI&apos;s{" "}
            <code>x-ratelimit-*</code> headers for your key.
          </li>
          <li>
            If a provider fails before answering, the request moves to the next-best provider. If one fails in the middle of a stream, the
            stream ends with an error event rather than a silent end, and the SDKs raise an error.
          </li>
        </ul>
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-xs uppercase text-fg-subtle">
              <tr>
                <th className="py-2 font-medium">Status</th>
                <th className="py-2 font-medium">error.code</th>
                <th className="py-2 font-medium">Meaning</th>
              </tr>
            </thead>
            <tbody>
              {errors.map(([status, code, meaning]) => (
                <tr key={code} className="border-t border-line align-top">
                  <td className="py-2 pr-3 font-mono">{status}</td>
                  <td className="break-all py-2 pr-3 font-mono text-fg-soft">{code}</td>
                  <td className="py-2 text-fg-muted">{meaning}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="text-fg-muted">Errors use OpenAI&apos;s shape:</p>
        <CodeBlock language="json">{`{"error": {"message": "…", "type": "invalid_request_error", "param": "messages", "code": null}}`}</CodeBlock>
      </section>
    </article>
  );
}
