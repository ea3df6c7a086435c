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
import type { SideRead, SideValues } from '../db/side-read';

/** The table of the shared counters (PostgreSQL), created by a migration. */
export const RATE_LIMIT_TABLE = 'rate_limit_counter';

const WINDOW_SECONDS = 60;
/** At most this many blocked addresses are remembered (the counters still refuse the rest). */
const MAX_REMEMBERED = 10_000;

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
 * How authentication checks a client's address before it answers: the failure count read along
 * with the token look-up (one statement for both), or, with nothing to read along, before it.
 */
export interface AddressCheck {
  /** What the token look-up reads along; null: `refuse()` first, the look-up after. */
  readonly alongside: SideRead | null;
  /** Refuses (429) an address this instance already knows to be blocked; no statement. */
  refuseKnown(): void;
  /** Refuses (429) a blocked address: by the values read along, or (none) by reading now. */
  refuse(values?: SideValues): Promise<void>;
}

/**
 * Fixed one-minute windows, counted by rate-limiter-flexible: failed authentications per client
 * address (checked before any answer, so secrets cannot be guessed at speed; on PostgreSQL read
 * in the token look-up's statement). What a token may do is its cost budget (cost-budget.ts).
 * With the `database` store the counters live in PostgreSQL and hold for all instances together;
 * if PostgreSQL cannot be reached, each instance counts in memory until it can again, rather
 * than refusing or admitting everything. An address seen blocked is refused from memory until
 * its window ends: its guesses never reach the database again.
 */
export class RateLimits {
  private readonly authFailures: RateLimiterAbstract;
  private readonly shared: boolean;
  /** Addresses known blocked, until when (ms since the epoch). */
  private readonly blockedUntil = new Map<string, number>();

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
    this.shared = limits.store === 'database' && pool !== null;
  }

  /** The check of `address` for authentication (see AddressCheck). */
  addressCheck(address: string): AddressCheck {
    const alongside: SideRead | null = this.shared
      ? {
          // As rate-limiter-flexible's own read: the row of the key, unless its window ended.
          columns: Object.fromEntries(
            (['points', 'expire'] as const).map((column) => [
              `failure_${column}`,
              `SELECT c.${column} FROM ${RATE_LIMIT_TABLE} c WHERE c.key = :failureKey ` +
                'AND (c.expire > :failureNow OR c.expire IS NULL)',
            ]),
          ),
          parameters: { failureKey: this.authFailures.getKey(address), failureNow: Date.now() },
        }
      : null;
    return {
      alongside,
      refuseKnown: () => this.refuseKnown(address),
      refuse: async (values) => {
        if (values === undefined) {
          return this.refuseBlockedAddress(address);
        }
        const points = values.failure_points;
        const expire = values.failure_expire;
        if (points !== null && points !== undefined) {
          this.refuseAt(address, Number(points), expire === null ? null : Number(expire));
        }
      },
    };
  }

  /** Refuses an address that failed to authenticate too often in the current window. */
  async refuseBlockedAddress(address: string): Promise<void> {
    this.refuseKnown(address);
    let failures: RateLimiterRes | null;
    try {
      failures = await this.authFailures.get(address);
    } catch (error) {
      return this.failOpen(error, undefined);
    }
    if (failures !== null) {
      this.refuseAt(address, failures.consumedPoints, Date.now() + failures.msBeforeNext);
    }
  }

  async recordAuthFailure(address: string): Promise<void> {
    try {
      const failures = await this.authFailures.penalty(address);
      if (failures.consumedPoints >= this.limits.authFailuresPerMinute) {
        this.remember(address, Date.now() + failures.msBeforeNext);
      }
    } catch (error) {
      this.failOpen(error, undefined);
    }
  }

  private remember(address: string, until: number): void {
    // Many guessing addresses: forget those whose window has ended.
    if (this.blockedUntil.size >= MAX_REMEMBERED) {
      const now = Date.now();
      for (const [known, end] of this.blockedUntil) {
        if (end <= now) {
          this.blockedUntil.delete(known);
        }
      }
    }
    if (this.blockedUntil.size < MAX_REMEMBERED) {
      this.blockedUntil.set(address, until);
    }
  }

  private refuseKnown(address: string): void {
    const until = this.blockedUntil.get(address);
    if (until === undefined) {
      return;
    }
    if (until <= Date.now()) {
      this.blockedUntil.delete(address);
      return;
    }
    this.refuseAt(address, this.limits.authFailuresPerMinute, until);
  }

  /** Throws when `failures` (in a window ending at `until`; null: never) block the address. */
  private refuseAt(address: string, failures: number, until: number | null): void {
    if (failures < this.limits.authFailuresPerMinute) {
      return;
    }
    if (until !== null) {
      this.remember(address, until);
    }
    const retryAfter = seconds(until === null ? WINDOW_SECONDS * 1000 : until - Date.now());
    throw new RateLimitedError(
      `Too many requests with a missing or invalid token from this address; retry after ` +
        `${retryAfter} s with a valid token.`,
      retryAfter,
    );
  }

  private failOpen<T>(error: unknown, value: T): T {
    this.logger.warn({ err: error }, 'rate limit counter unavailable; request let through');
    return value;
  }
}
