import type { Database } from '../db/database';
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
  ) {}

  note(tokenId: string, use: LastUse): void {
    this.latest.set(tokenId, use);
    this.pending.add(tokenId);
    if (this.timers.has(tokenId)) {
      return;
    }
    const wait = (this.writtenAt.get(tokenId) ?? -Infinity) + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.write(tokenId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(tokenId);
      this.write(tokenId);
    }, wait);
    timer.unref();
    this.timers.set(tokenId, timer);
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
    this.writtenAt.set(tokenId, Date.now());
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
