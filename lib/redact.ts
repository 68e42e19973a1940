// Log lines must not carry secrets. The one that slips in by itself is the RPC URL: viem puts the
// request URL in its error messages, and hosted RPC URLs embed an API key in the path or query
// (…/v2/<key>, ?apikey=…), sometimes credentials before the host. Keep only scheme and host.
const URL_PATTERN = /\b(https?|wss?):\/\/([^\s"'<>]+)/gi;

export function redactUrls(text: string): string {
  return text.replace(URL_PATTERN, (match, scheme: string, rest: string) => {
    try {
      const url = new URL(`${scheme}://${rest}`);
      const hasMore = url.pathname.length > 1 || url.search !== "" || url.username !== "";
      return `${scheme}://${url.host}${hasMore ? "/…" : ""}`;
    } catch {
      return `${scheme}://…`;
    }
  });
}

/** An error as one log-safe line (stack for unexpected errors, URLs reduced to their host). */
export function describeError(error: unknown, { stack = false } = {}): string {
  const text = error instanceof Error ? ((stack && error.stack) || error.message) : String(error);
  return redactUrls(text);
}
