// The gateway's wallet sends one transaction at a time: each takes its nonce from the chain's
// pending count, so two in flight from one process would race for the same nonce. Another
// gateway instance sharing the wallet can still take a nonce first; that shows up as a nonce
// error, and the transaction is retried with a fresh nonce.

const NONCE_ERROR = /nonce too low|nonce has already been used|already known|replacement transaction underpriced|invalid nonce/i;
const MAX_ATTEMPTS = 4;

function isNonceError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (NONCE_ERROR.test(e.message)) return true;
  }
  return false;
}

export class TxQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `send` after every transaction queued before it; retries it on nonce conflicts. */
  run<T>(send: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.withNonceRetry(send));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async withNonceRetry<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isNonceError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
      }
    }
  }
}
