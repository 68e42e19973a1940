// Whether a chain call failed because the RPC node could not be reached or did not answer in time
// (an outage: retry later), as opposed to the call itself failing (a revert, a bad argument).
// viem wraps transport errors in call errors, so the cause chain is walked (bounded: a cycle must
// not hang us). Errors are told apart by name: bundles can load two copies of viem's classes.
const TRANSPORT_ERRORS = new Set(["HttpRequestError", "TimeoutError", "WebSocketRequestError", "SocketClosedError"]);

export function isChainUnreachable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 16 && current && typeof current === "object"; depth++) {
    if (TRANSPORT_ERRORS.has((current as { name?: unknown }).name as string)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
