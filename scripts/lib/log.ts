// Start-up and CLI logging: one line per event, prefixed with the part that speaks.
import { redactUrls } from "@/lib/redact";
const colors: Record<string, string> = { chain: "35", db: "36", app: "32", start: "33", provider: "34" };

export function logger(scope: string) {
  const tag = process.stdout.isTTY ? `\x1b[${colors[scope] ?? "37"}m[${scope}]\x1b[0m` : `[${scope}]`;
  return {
    info: (message: string) => console.log(`${tag} ${message}`),
    // Error texts can quote a failed RPC request's URL, which may hold the RPC provider's API key.
    error: (message: string) => console.error(`${tag} ${redactUrls(message)}`),
  };
}
