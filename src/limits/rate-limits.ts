import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Pool } from 'pg';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
} from 'rate-limiter-flexible';
import type { LimitsConfig } from '../core/config';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';

/** The table of the shared counters (PostgreSQL), created by a migration. */
export const RATE_LIMIT_TABLE = 'rate_limit_counter';

const WINDOW_SECONDS = 60;

/** HTTP 429 with `Retry-After`, for an address that failed to authenticate too often. */
export class RateLimitedError extends GraphQLError {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, {
      extensions: {
        code: ErrorCode.RATE_LIMITED,
        retryAfterSeconds,
        http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
      },
    });
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Fixed one-minute windows, counted by rate-limiter-flexible: failed authentications per client
 * address (checked before the token is looked up, so secrets cannot be guessed at speed). What a
 * token may do is its cost budget (cost-budget.ts). With the `database` store the counters live in PostgreSQL and hold for
 * all instances together; if PostgreSQL cannot be reached, each instance counts in memory until
 * it can again, rather than refusing or admitting everything.
 */
export class RateLimits {
  private readonly authFailures: RateLimiterAbstract;

  constructor(
    readonly limits: LimitsConfig,
    private readonly logger: Logger,
    pool: Pool | null,
  ) {
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const options = { keyPrefix, points, duration: WINDOW_SECONDS };
      if (limits.store === 'memory' || pool === null) {
        return new RateLimiterMemory(options);
      }
      return new RateLimiterPostgres({
        ...options,
        storeClient: pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        // Every five minutes, rows expired for an hour are deleted (an unref'd timer): an
        // address that failed once leaves no row for good.
        clearExpiredByTimeout: true,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    this.authFailures = limiter('auth-failure', limits.authFailuresPerMinute);
  }

  /** Refuses an address that failed to authenticate too often in the current window. */
  async refuseBlockedAddress(address: string): Promise<void> {
    let failures: RateLimiterRes | null;
    try {
      failures = await this.authFailures.get(address);
    } catch (error) {
      return this.failOpen(error, undefined);
    }
    if (failures !== null && failures.consumedPoints >= this.limits.authFailuresPerMinute) {
      const retryAfter = seconds(failures.msBeforeNext);
      throw new RateLimitedError(
        `Too many requests with a missing or invalid token from this address; retry after ` +
          `${retryAfter} s with a valid token.`,
        retryAfter,
      );
    }
  }

  async recordAuthFailure(address: string): Promise<void> {
    try {
      await this.authFailures.penalty(address);
    } catch (error) {
      this.failOpen(error, undefined);
    }
  }

  private failOpen<T>(error: unknown, value: T): T {
    this.logger.warn({ err: error }, 'rate limit counter unavailable; request let through');
    return value;
  }
}
