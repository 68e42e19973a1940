// Start-up and CLI logging: one line per event, prefixed with the part that speaks.
import { redactUrls } from "@/lib/redact";
const colors: Record<string, string> = { chain: "35", db: "36", app: "32", start: "33", provider: "34" };

export function logger(scope: string) {
  const tag = process.stdout.isTTY ? `\x1b[${colors[scope] ?? "37"}m[${scope}]\x1b[0m` : `[${scope}]`;
  return {
    // Both levels: a configured RPC_URL or model URL, or an error quoting a failed request's URL,
    // may hold the RPC or model provider's API key (in the path, the query or before the host).
    info: (message: string) => console.log(`${tag} ${redactUrls(message)}`),
    error: (message: string) => console.error(`${tag} ${redactUrls(message)}`),
  };
}
