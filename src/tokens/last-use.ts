import type { Database } from '../db/database';
import { type Clock, systemClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { ApiToken } from './api-token.entity';

export interface LastUse {
  at: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Records when, and from where, each token was last used, off the request path: the first use
 * is written at once (in the background), later ones at most once per interval per token on this
 * instance. A failed write is logged and never fails a request. Reads overlay what this instance
 * knows and has not written yet.
 */
export class LastUseRecorder {
  private readonly latest = new Map<string, LastUse>();
  private readonly pending = new Set<string>();
  private readonly writtenAt = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Database writes made so far (for tests and the benchmark). */
  writes = 0;

  constructor(
    private readonly db: Database,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly onWrite: () => void = () => undefined,
    private readonly clock: Clock = systemClock,
  ) {}

  note(tokenId: string, use: LastUse): void {
    this.latest.set(tokenId, use);
    this.pending.add(tokenId);
    const wait =
      (this.writtenAt.get(tokenId) ?? -Infinity) + this.intervalMs - this.clock.now().getTime();
    const timer = this.timers.get(tokenId);
    if (timer && wait > 0) {
      return;
    }
    // The interval has passed by the clock (its timer may not have fired yet): write now.
    if (wait <= 0) {
      clearTimeout(timer);
      this.timers.delete(tokenId);
      this.write(tokenId);
      return;
    }
    const next = setTimeout(() => {
      this.timers.delete(tokenId);
      this.write(tokenId);
    }, wait);
    next.unref();
    this.timers.set(tokenId, next);
  }

  /** The token with the last use this instance knows of, when newer than the stored one. */
  apply(token: ApiToken): ApiToken {
    const use = this.latest.get(token.id);
    if (use && (token.lastUsedAt === null || use.at > token.lastUsedAt)) {
      token.lastUsedAt = use.at;
      token.lastUsedIp = use.ip;
      token.lastUsedUserAgent = use.userAgent;
    }
    return token;
  }

  /** Waits for the writes under way, starting none (tests: every write begun has landed). */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** Writes everything pending now (shutdown) and waits for writes under way. */
  async flush(): Promise<void> {
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
    this.timers.clear();
    for (const tokenId of [...this.pending]) {
      this.write(tokenId);
    }
    await Promise.all(this.inFlight);
  }

  private write(tokenId: string): void {
    const use = this.latest.get(tokenId);
    if (!use || !this.pending.delete(tokenId)) {
      return;
    }
    this.writtenAt.set(tokenId, this.clock.now().getTime());
    const done = this.db
      .write((manager) =>
        manager
          .createQueryBuilder()
          .update(ApiToken)
          .set({ lastUsedAt: use.at, lastUsedIp: use.ip, lastUsedUserAgent: use.userAgent })
          // Several instances write the same token: never move its last use backwards.
          .where('id = :id', { id: tokenId })
          .andWhere('(last_used_at IS NULL OR last_used_at < :at)', {
            at: this.db.timestamp(use.at),
          })
          .execute(),
      )
      .then(
        () => {
          this.writes++;
          this.onWrite();
        },
        (error: unknown) => {
          this.logger.warn({ err: error, tokenId }, 'could not record a token’s last use');
        },
      )
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}
