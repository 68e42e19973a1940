// "Use it from the API": curl and OpenAI SDK calls with the model's exact API id and this site's URL.
import { headers } from "next/headers";
import { publicApiBaseUrl } from "@/lib/auth/origin";
import { CodeBlock } from "@/components/code-block";

/** The gateway's base URL for the examples (APP_ORIGIN, else the Host header; never X-Forwarded-Host). */
async function apiBaseUrl(): Promise<string> {
  return publicApiBaseUrl(await headers());
}

export async function ApiSnippets({ modelId }: { modelId: string }) {
  const base = await apiBaseUrl();
  const model = JSON.stringify(modelId);
  // Any on-chain name is possible: the JSON body is single-quoted for the shell, quotes escaped.
  const body = JSON.stringify({ model: modelId, messages: [{ role: "user", content: "Hello!" }] }).replace(/'/g, "'\\''");
  const curl = [
    `curl ${base}/chat/completions \\`,
    `  -H "Authorization: Bearer $MORPHEUS_API_KEY" -H "Content-Type: application/json" \\`,
    `  -d '${body}'`,
  ].join("\n");
  const typescript = [
    `import OpenAI from "openai";`,
    `const client = new OpenAI({ baseURL: ${JSON.stringify(base)}, apiKey: process.env.MORPHEUS_API_KEY });`,
    `const reply = await client.chat.completions.create({`,
    `  model: ${model},`,
    `  messages: [{ role: "user", content: "Hello!" }],`,
    `});`,
    `console.log(reply.choices[0].message.content);`,
  ].join("\n");
  return (
    <div className="space-y-3" data-testid="api-snippets">
      <CodeBlock language="shell">{curl}</CodeBlock>
      <CodeBlock language="typescript">{typescript}</CodeBlock>
    </div>
  );
}
