// "View code": the playground's request as the same call to /api/v1 with curl, the OpenAI JS SDK
// and the OpenAI Python SDK. The key is always the MORPHEUS_API_KEY placeholder, never a secret.

export interface CodeRequest {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number | null;
  maxTokens?: number | null;
  topP?: number | null;
}

function requestBody(r: CodeRequest): Record<string, unknown> {
  return {
    model: r.model,
    messages: r.messages,
    ...(r.temperature != null ? { temperature: r.temperature } : {}),
    ...(r.maxTokens != null ? { max_tokens: r.maxTokens } : {}),
    ...(r.topP != null ? { top_p: r.topP } : {}),
  };
}

const indent = (text: string, by: string) => text.split("\n").join(`\n${by}`);

export function curlSnippet(apiBase: string, r: CodeRequest): string {
  // Single-quoted for the shell: a quote inside ends the string, adds an escaped quote, reopens it.
  const json = JSON.stringify(requestBody(r), null, 2).replaceAll("'", "'\\''");
  return [
    `curl ${apiBase}/chat/completions \\`,
    `  -H "Authorization: Bearer $MORPHEUS_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '${json}'`,
  ].join("\n");
}

export function jsSnippet(apiBase: string, r: CodeRequest): string {
  const { model, messages, ...rest } = requestBody(r);
  const params = JSON.stringify({ model, messages, ...rest, stream: true }, null, 2);
  return [
    `import OpenAI from "openai";`,
    ``,
    `const client = new OpenAI({ baseURL: ${JSON.stringify(apiBase)}, apiKey: process.env.MORPHEUS_API_KEY });`,
    `const stream = await client.chat.completions.create(${indent(params, "")});`,
    `for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");`,
  ].join("\n");
}

/** JSON of strings and numbers is also a Python literal (the body has no true/false/null). */
export function pythonSnippet(apiBase: string, r: CodeRequest): string {
  const body = requestBody(r);
  const args = Object.entries(body).map(([name, value]) => `    ${name}=${indent(JSON.stringify(value, null, 4), "    ")},`);
  return [
    `import os`,
    `from openai import OpenAI`,
    ``,
    `client = OpenAI(base_url=${JSON.stringify(apiBase)}, api_key=os.environ["MORPHEUS_API_KEY"])`,
    `stream = client.chat.completions.create(`,
    ...args,
    `    stream=True,`,
    `)`,
    `for chunk in stream:`,
    `    print(chunk.choices[0].delta.content or "", end="") if chunk.choices else None`,
  ].join("\n");
}
