/**
 * Look-ups by key that share their statements: one batch in flight at a time, and every key
 * asked for meanwhile waits for the next, which starts the moment the first returns. Where each
 * statement costs a round trip through a single connection (SQLite's, one statement at a time),
 * lookups that arrive faster than that connection answers would otherwise queue one behind the
 * other, each waiting for the main thread between two statements; coalesced, any number of
 * them waits for at most two statements. A lone look-up starts at once, as it would alone.
 */
export class CoalescedLookup<K, V> {
  private readonly waiting = new Map<K, Waiter<V>[]>();
  private inFlight = false;

  /**
   * @param load the values of a batch of distinct keys; a key without one is simply absent.
   * @param maxBatch the most keys in one batch (a statement's parameter limit).
   */
  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch: number,
  ) {}

  /** The key's value, or undefined when the batch found none. */
  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) {
        waiters.push({ resolve, reject });
      } else {
        this.waiting.set(key, [{ resolve, reject }]);
      }
      if (!this.inFlight) {
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    this.inFlight = true;
    while (this.waiting.size > 0) {
      const batch = new Map<K, Waiter<V>[]>();
      for (const [key, waiters] of this.waiting) {
        if (batch.size >= this.maxBatch) {
          break;
        }
        batch.set(key, waiters);
        this.waiting.delete(key);
      }
      try {
        const found = await this.load([...batch.keys()]);
        for (const [key, waiters] of batch) {
          waiters.forEach((w) => w.resolve(found.get(key)));
        }
      } catch (error) {
        for (const waiters of batch.values()) {
          waiters.forEach((w) => w.reject(error));
        }
      }
    }
    this.inFlight = false;
  }
}

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}
