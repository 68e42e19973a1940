// The gateway's wallet sends one transaction at a time: each takes its nonce from the chain's
// pending count, so two in flight from one process would race for the same nonce. Another
// gateway instance sharing the wallet can still get in between: it may take a nonce first (a
// nonce error), or its openSession may spend the MOR allowance this instance approved for its own
// (each opening approves exactly its stake, so of two racing openings one finds the allowance
// gone: ERC20InsufficientAllowance, refused when viem estimates the gas, before anything is sent).
// Both are retried: the retry reads a fresh nonce and allowance, and approves again if needed.
// While the other instance is busy opening sessions (a burst of clients) it sends transaction
// after transaction, so several attempts in a row can lose the race: up to MAX_ATTEMPTS, after
// random pauses that double (an instance that keeps losing steps out of the other's rhythm).

const WALLET_CONFLICT = /nonce too low|nonce has already been used|already known|replacement transaction underpriced|invalid nonce|lower than the current nonce|ERC20InsufficientAllowance/i;
const MAX_ATTEMPTS = 10;
/** The longest pause between two attempts. */
const MAX_PAUSE_MS = 1_000;

function isWalletConflict(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (WALLET_CONFLICT.test(e.message)) return true;
  }
  return false;
}

export class TxQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** `firstPauseMs`: the pause before the first retry, doubled for each next one (tests shorten it). */
  constructor(private readonly firstPauseMs = 50) {}

  /** Runs `send` after every transaction queued before it; retries it on conflicts with other instances. */
  run<T>(send: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.withRetry(send));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async withRetry<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isWalletConflict(error)) throw error;
        const pause = Math.min(MAX_PAUSE_MS, this.firstPauseMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, pause / 2 + Math.random() * pause));
      }
    }
  }
}
