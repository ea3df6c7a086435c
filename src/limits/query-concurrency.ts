import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../core/metrics';

/** A counting semaphore: at most `slots` holders, the others wait in arrival order. */
export class Semaphore {
  private readonly waiting: (() => void)[] = [];
  private held = 0;

  constructor(private readonly slots: number) {}

  async acquire(): Promise<void> {
    if (this.held < this.slots) {
      this.held++;
      return;
    }
    // The slot passes straight from the releasing holder to the next waiter.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
    } else {
      this.held--;
    }
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether the next `acquire` waits. */
  get full(): boolean {
    return this.held >= this.slots;
  }
}

/**
 * The fixed query slots the fair scheduler (fair-scheduler.ts) replaced, kept for the bench's
 * comparison only (BenchOnlyOptions.twoQuerySlots). At most `slots` queries execute at once; the others wait for a slot before they start. A BI
 * page is tens of milliseconds of uninterrupted JavaScript; fifty of them in flight would make
 * every other request — a mutation's each statement, a health check — wait behind all of them
 * on the event loop. Queued queries use no CPU and hold no rows, so throughput stays the same,
 * memory stays bounded, and mutations, which never wait here, keep their latency.
 */
export function queryConcurrency(slots: number, metrics: Metrics): ApolloServerPlugin {
  const semaphore = new Semaphore(slots);
  return {
    async requestDidStart() {
      let holding = false;
      return {
        async responseForOperation({ operation }) {
          if (operation?.operation === 'query') {
            if (semaphore.full) {
              metrics.queuedQueries.inc();
            }
            await semaphore.acquire();
            holding = true;
          }
          return null;
        },
        async willSendResponse() {
          if (holding) {
            holding = false;
            semaphore.release();
          }
        },
      };
    },
  };
}
