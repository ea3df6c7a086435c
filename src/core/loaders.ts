import DataLoader from 'dataloader';
import { type Clock, systemClock } from './clock';
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
  /** Whether a read was refused because the request ran out of time. */
  stopped = false;

  /** After `timeoutMs` from now (by `clock`), the request's next batch fails with QUERY_TIMEOUT. */
  stopAfter(timeoutMs: number, clock: Clock = systemClock): void {
    this.timeoutMs = timeoutMs;
    this.clock = clock;
    this.deadline = clock.now().getTime() + timeoutMs;
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
            this.stopped = true;
            throw new QueryTimeoutError(this.timeoutMs);
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
