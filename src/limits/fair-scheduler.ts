import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { type Timer, realTimer } from '../core/clock';
import { ErrorCode } from '../core/errors';

export type { Timer };

export interface SchedulerSettings {
  /** Cheap queries running at once; more wait their turn. */
  slots: number;
  /** Expensive queries running at once (`slots` when not given); more wait their turn. */
  expensiveSlots?: number;
  /** A query whose requested cost is at most this is cheap: it runs in a lane of its own. */
  cheapCost: number;
  /** Milliseconds a query may wait for its turn before it is refused (QUERY_TIMEOUT_MS). */
  maxWaitMs: number;
}

/** A query that could not start in time: HTTP 503 QUERY_TIMEOUT with `Retry-After`. */
export class QueryNotStartedError extends GraphQLError {
  constructor(waitedMs: number, retryAfterSeconds: number) {
    super(
      `The server is busy: this query could not start within ${waitedMs / 1000} s, the limit, ` +
        `and was not run. Retry after ${retryAfterSeconds} s; cheaper queries (a smaller \`first\`) ` +
        'wait less.',
      {
        extensions: {
          code: ErrorCode.QUERY_TIMEOUT,
          http: {
            status: 503,
            headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]),
          },
        },
      },
    );
  }
}

interface Waiter {
  start: () => void;
}

/**
 * One lane: `slots` queries at once, the others queued per token; a freed slot goes to the
 * token whose turn it is, which then goes to the back of the round. A token with twenty queries
 * waiting gets no more turns than one with a single query.
 */
class Lane {
  private running = 0;
  /** Tokens with queries waiting, in the order of their turns (a Map keeps insertion order). */
  private readonly queues = new Map<string, Waiter[]>();

  constructor(private readonly slots: number) {}

  /** Starts at once if a slot is free and nobody waits; otherwise queues `waiter`. */
  enter(tokenId: string, waiter: Waiter): boolean {
    if (this.running < this.slots && this.queues.size === 0) {
      this.running++;
      return true;
    }
    const queue = this.queues.get(tokenId);
    if (queue) {
      queue.push(waiter);
    } else {
      this.queues.set(tokenId, [waiter]);
    }
    return false;
  }

  /** Takes `waiter` out of its queue (it gave up); false when it had already started. */
  leave(tokenId: string, waiter: Waiter): boolean {
    const queue = this.queues.get(tokenId);
    const index = queue?.indexOf(waiter) ?? -1;
    if (!queue || index < 0) {
      return false;
    }
    queue.splice(index, 1);
    if (queue.length === 0) {
      this.queues.delete(tokenId);
    }
    return true;
  }

  /** A query ended: its slot passes to the next token in turn, or is freed. */
  release(): void {
    const next = this.queues.entries().next();
    if (next.done) {
      this.running--;
      return;
    }
    const [tokenId, queue] = next.value;
    const waiter = queue.shift() as Waiter;
    this.queues.delete(tokenId);
    if (queue.length > 0) {
      this.queues.set(tokenId, queue);
    }
    waiter.start();
  }

  get waiting(): number {
    let count = 0;
    this.queues.forEach((queue) => (count += queue.length));
    return count;
  }
}

/**
 * The fair share of API.md section 9, replacing two fixed query slots: tokens take turns,
 * cheap queries (requested cost at most `cheapCost`) have a lane of their own and never wait
 * behind expensive ones, and waiting is bounded. Mutations are not scheduled: they never wait
 * behind queries.
 */
export class FairScheduler {
  private readonly cheap: Lane;
  private readonly expensive: Lane;

  constructor(
    readonly settings: SchedulerSettings,
    private readonly timer: Timer = realTimer,
  ) {
    this.cheap = new Lane(settings.slots);
    this.expensive = new Lane(settings.expensiveSlots ?? settings.slots);
  }

  /**
   * Waits for the query's turn; resolves with the function that ends it (call it once), or
   * rejects with QueryNotStartedError after `maxWaitMs`. `queued` is told when it must wait.
   */
  async start(tokenId: string, cost: number, queued?: () => void): Promise<() => void> {
    const lane = cost <= this.settings.cheapCost ? this.cheap : this.expensive;
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        lane.release();
      }
    };
    let started = () => {};
    const waiter: Waiter = { start: () => started() };
    if (lane.enter(tokenId, waiter)) {
      return end;
    }
    queued?.();
    await new Promise<void>((resolve, reject) => {
      const cancel = this.timer(this.settings.maxWaitMs, () => {
        if (lane.leave(tokenId, waiter)) {
          reject(
            new QueryNotStartedError(
              this.settings.maxWaitMs,
              Math.max(1, Math.ceil(this.settings.maxWaitMs / 1000)),
            ),
          );
        }
      });
      started = () => {
        cancel();
        resolve();
      };
    });
    return end;
  }

  /** Queries waiting for their turn, both lanes. */
  get waiting(): number {
    return this.cheap.waiting + this.expensive.waiting;
  }
}
