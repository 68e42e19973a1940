// Waiting rooms for the provider node: one request at a time per session (providers require it:
// the Go node queues the rest), and at most `concurrentSlots` upstream calls per model.

/** A counting semaphore whose waiters can give up (client gone) without leaking a slot. */
export class Slots {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    const release = this.releaser();
    if (this.limit <= 0 || this.active < this.limit) {
      this.active++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        this.active++;
        resolve(release);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiters.shift()?.();
    };
  }
}

/** One Slots(1) per key, dropped when nobody holds or waits for it. */
export class KeyedLocks {
  private readonly locks = new Map<string, { slots: Slots; users: number }>();

  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    let entry = this.locks.get(key);
    if (!entry) {
      entry = { slots: new Slots(1), users: 0 };
      this.locks.set(key, entry);
    }
    entry.users++;
    const done = () => {
      if (--entry.users === 0) this.locks.delete(key);
    };
    try {
      const release = await entry.slots.acquire(signal);
      return () => {
        release();
        done();
      };
    } catch (error) {
      done();
      throw error;
    }
  }
}
