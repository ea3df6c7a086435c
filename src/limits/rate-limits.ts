import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Pool } from 'pg';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { LimitsConfig } from '../core/config';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';

/** The table of the shared counters (PostgreSQL), created by a migration. */
export const RATE_LIMIT_TABLE = 'rate_limit_counter';

const WINDOW_SECONDS = 60;

/** What a client may still do in the current window; sent as `RateLimit-*` headers. */
export interface Quota {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** The IETF `RateLimit-*` fields (draft-ietf-httpapi-ratelimit-headers), one list for both uses. */
export function quotaHeaders(quota: Quota): [string, string][] {
  return [
    ['ratelimit-limit', String(quota.limit)],
    ['ratelimit-remaining', String(quota.remaining)],
    ['ratelimit-reset', String(quota.resetSeconds)],
    ['ratelimit-policy', `${quota.limit};w=${WINDOW_SECONDS}`],
  ];
}

/** HTTP 429 with `Retry-After` (and the quota, when the refusal is a token's). */
export class RateLimitedError extends GraphQLError {
  constructor(message: string, retryAfterSeconds: number, quota?: Quota) {
    super(message, {
      extensions: {
        code: ErrorCode.RATE_LIMITED,
        retryAfterSeconds,
        http: {
          status: 429,
          headers: new HeaderMap([
            ['retry-after', String(retryAfterSeconds)],
            ...(quota ? quotaHeaders(quota) : []),
          ]),
        },
      },
    });
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Fixed one-minute windows, counted by rate-limiter-flexible: requests per token, and failed
 * authentications per client address (checked before the token is looked up, so secrets cannot
 * be guessed at speed). With the `database` store the counters live in PostgreSQL and hold for
 * all instances together; if PostgreSQL cannot be reached, each instance counts in memory until
 * it can again, rather than refusing or admitting everything.
 */
export class RateLimits {
  private readonly requests: RateLimiterAbstract;
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
    this.requests = limiter('token', limits.requestsPerMinute);
    this.authFailures = limiter('auth-failure', limits.authFailuresPerMinute);
  }

  /** Counts one request of a token: its quota, or RateLimitedError when it is used up. */
  async consumeRequest(tokenId: string): Promise<Quota> {
    const limit = this.limits.requestsPerMinute;
    try {
      const used = await this.requests.consume(tokenId);
      return { limit, remaining: used.remainingPoints, resetSeconds: seconds(used.msBeforeNext) };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) {
        return this.failOpen(refusal, { limit, remaining: limit, resetSeconds: WINDOW_SECONDS });
      }
      const retryAfter = seconds(refusal.msBeforeNext);
      throw new RateLimitedError(
        `This token has sent ${limit} requests in the last minute, its limit; retry after ` +
          `${retryAfter} s. Pace requests with the RateLimit-Remaining and RateLimit-Reset headers.`,
        retryAfter,
        { limit, remaining: 0, resetSeconds: retryAfter },
      );
    }
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
