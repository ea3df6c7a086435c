import DataLoader from 'dataloader';
import { type Clock, type Timer, realTimer, systemClock } from './clock';
import { QueryTimeoutError } from './errors';

/**
 * The DataLoaders of one request, made on first use: a list of 1000 incidents asks for their
 * boards and monitors in one query each, not one per row. Never shared between requests, so
 * nothing cached outlives a request or crosses organizations.
 */
export class Loaders {
  private readonly loaders = new Map<string, DataLoader<string, unknown>>();
  private deadline = Infinity;
  private timeoutMs = 0;
  private clock: Clock = systemClock;
  /** Arms the stop of a statement still running at the deadline (db/statement-deadline.ts). */
  timer: Timer = realTimer;
  /** Whether a read was refused or stopped because the request ran out of time. */
  stopped = false;

  /**
   * After `timeoutMs` from now (by `clock`), the request's next batch fails with QUERY_TIMEOUT,
   * and so does a statement still running then (`timer` arms its stop).
   */
  stopAfter(timeoutMs: number, clock: Clock = systemClock, timer: Timer = realTimer): void {
    this.timeoutMs = timeoutMs;
    this.clock = clock;
    this.timer = timer;
    this.deadline = clock.now().getTime() + timeoutMs;
  }

  /** Milliseconds left until the deadline (Infinity without one); never below 0. */
  remainingMs(): number {
    return this.deadline === Infinity
      ? Infinity
      : Math.max(0, this.deadline - this.clock.now().getTime());
  }

  /** Marks the request stopped (its answer is QUERY_TIMEOUT) and returns the error to throw. */
  expire(): QueryTimeoutError {
    this.stopped = true;
    return new QueryTimeoutError(this.timeoutMs);
  }

  get<V>(
    name: string,
    batch: (keys: readonly string[]) => Promise<Map<string, V>>,
    empty: V,
  ): DataLoader<string, V> {
    let loader = this.loaders.get(name) as DataLoader<string, V> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V>(
        async (keys) => {
          if (this.clock.now().getTime() > this.deadline) {
            throw this.expire();
          }
          const found = await batch(keys);
          return keys.map((key) => found.get(key) ?? empty);
        },
        { maxBatchSize: 1000 },
      );
      this.loaders.set(name, loader as DataLoader<string, unknown>);
    }
    return loader;
  }
}
