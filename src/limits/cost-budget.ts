import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Pool } from 'pg';
import { type Clock, systemClock } from '../core/clock';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import { COST_BUDGET_TABLE } from '../db/migrations/1700000005300-cost-budgets';

/** A bucket's settings: `size` points, refilled at `restoreRate` points a second. */
export interface BudgetSettings {
  size: number;
  restoreRate: number;
}

/** Shopify's names (API.md section 9): what a token's bucket holds and how it refills. */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

/** `extensions.cost` of a response. */
export interface CostReport {
  requestedQueryCost: number;
  actualQueryCost: number;
  throttleStatus: ThrottleStatus;
}

/** Where buckets live: in this process, or in PostgreSQL for every instance together. */
export interface BudgetStore {
  /**
   * Gives back `carried` points (negative: charges more), then takes `points` if the refilled
   * bucket holds them: what it holds after. Not taken: nothing changed, and `available` is what
   * it holds without `carried`.
   */
  take(
    tokenId: string,
    points: number,
    now: number,
    carried: number,
  ): Promise<{ taken: boolean; available: number }>;
  /** Gives back `points` (negative: charges more); what the bucket holds after. */
  give(tokenId: string, points: number, now: number): Promise<number>;
  /** What the bucket holds now. */
  peek(tokenId: string, now: number): Promise<number>;
}

/** The leaky bucket's level at `now`: what it held at `at`, refilled since, never above `size`. */
export function refilled(settings: BudgetSettings, held: number, at: number, now: number): number {
  return Math.min(settings.size, held + (Math.max(0, now - at) / 1000) * settings.restoreRate);
}

/**
 * Buckets of one instance (SQLite serves one). A full bucket is no entry. Each operation reads
 * and writes its bucket without an `await` between: requests that reach `take` in the same tick
 * (their token look-ups answered by one statement) must not all see the level before any took.
 */
export class MemoryBudgetStore implements BudgetStore {
  private readonly buckets = new Map<string, { held: number; at: number }>();

  constructor(private readonly settings: BudgetSettings) {}

  async take(tokenId: string, points: number, now: number, carried: number) {
    const held = this.level(tokenId, now);
    const available = Math.min(this.settings.size, held + carried);
    if (points > available) {
      return { taken: false, available: held };
    }
    this.set(tokenId, available - points, now);
    return { taken: true, available: available - points };
  }

  async give(tokenId: string, points: number, now: number): Promise<number> {
    const available = Math.min(this.settings.size, this.level(tokenId, now) + points);
    this.set(tokenId, available, now);
    return available;
  }

  async peek(tokenId: string, now: number): Promise<number> {
    return this.level(tokenId, now);
  }

  private level(tokenId: string, now: number): number {
    const bucket = this.buckets.get(tokenId);
    return bucket ? refilled(this.settings, bucket.held, bucket.at, now) : this.settings.size;
  }

  private set(tokenId: string, held: number, now: number): void {
    if (held >= this.settings.size) {
      this.buckets.delete(tokenId);
    } else {
      this.buckets.set(tokenId, { held, at: now });
    }
  }
}

/**
 * Makes the statement's own transaction commit without waiting for its WAL flush (as `SET LOCAL
 * synchronous_commit = off`; the connection's setting is untouched): a budget upsert then costs
 * tens of microseconds instead of a disk flush (~1.5 ms here) on every request. A PostgreSQL
 * crash may forget the charges of its last fraction of a second; a budget is a pace, not a
 * record, and an unreachable database already lets each instance count alone.
 */
const ASYNC_COMMIT = `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))`;

/**
 * One bucket per token for every instance: each charge is one statement that refills, gives
 * back what the token's previous request on this instance left over, and takes, in the same row
 * update, so two instances never both spend the same points.
 */
export class PostgresBudgetStore implements BudgetStore {
  constructor(
    private readonly settings: BudgetSettings,
    private readonly pool: Pool,
  ) {}

  async take(tokenId: string, points: number, now: number, carried: number) {
    const level = `LEAST($2::float8, ${this.level('b')} + $6::float8)`;
    const { rows } = await this.pool.query<{ available: number }>({
      // A named statement: parsed and planned once per connection, then only bound.
      name: 'cost-budget-take',
      text: `${ASYNC_COMMIT} INSERT INTO ${COST_BUDGET_TABLE} AS b (token_id, available, updated_at)
       SELECT $1::varchar, LEAST($2::float8, $2::float8 + $6::float8) - $3::float8, $4::bigint
       FROM async_commit
       ON CONFLICT (token_id) DO UPDATE SET available = ${level} - $3::float8,
         updated_at = GREATEST(b.updated_at, $4::bigint)
       WHERE ${level} >= $3::float8
       RETURNING available`,
      values: [tokenId, this.settings.size, points, now, this.settings.restoreRate, carried],
    });
    if (rows.length > 0) {
      return { taken: true, available: Number(rows[0].available) };
    }
    return { taken: false, available: await this.peek(tokenId, now) };
  }

  async give(tokenId: string, points: number, now: number): Promise<number> {
    const level = this.level(COST_BUDGET_TABLE);
    const { rows } = await this.pool.query<{ available: number }>(
      `UPDATE ${COST_BUDGET_TABLE} SET available = LEAST($2::float8, ${level} + $3::float8),
         updated_at = GREATEST(updated_at, $4)
       WHERE token_id = $1 RETURNING available`,
      [tokenId, this.settings.size, points, now, this.settings.restoreRate],
    );
    return rows.length > 0 ? Number(rows[0].available) : this.settings.size;
  }

  async peek(tokenId: string, now: number): Promise<number> {
    const { rows } = await this.pool.query<{ available: number; updated_at: string }>(
      `SELECT available, updated_at FROM ${COST_BUDGET_TABLE} WHERE token_id = $1`,
      [tokenId],
    );
    return rows.length > 0
      ? refilled(this.settings, Number(rows[0].available), Number(rows[0].updated_at), now)
      : this.settings.size;
  }

  /** The row's level refilled to `$4` at `$5` points a second, at most `$2`. */
  private level(table: string): string {
    return `LEAST($2::float8, ${table}.available + GREATEST(0, $4 - ${table}.updated_at) / 1000.0 * $5::float8)`;
  }
}

/** One operation costs more than the whole bucket: it can never run (HTTP 400). */
export class QueryTooCostlyError extends GraphQLError {
  constructor(readonly report: CostReport) {
    super(
      `This operation's estimated cost is ${report.requestedQueryCost} points, more than this ` +
        `token's whole budget of ${report.throttleStatus.maximumAvailable}. Ask for fewer rows ` +
        '(a smaller `first`, fewer nested lists) or split the request; `queryCost` estimates a ' +
        'document without running it.',
      {
        extensions: {
          code: ErrorCode.QUERY_TOO_COSTLY,
          cost: report,
          http: { status: 400, headers: new HeaderMap() },
        },
      },
    );
  }
}

/** The operation fits the bucket but not what is left now: HTTP 429 with `Retry-After`. */
export class BudgetExhaustedError extends GraphQLError {
  constructor(
    readonly report: CostReport,
    retryAfterSeconds: number,
  ) {
    super(
      `This operation's estimated cost is ${report.requestedQueryCost} points and this token has ` +
        `${Math.floor(report.throttleStatus.currentlyAvailable)} left; retry after ` +
        `${retryAfterSeconds} s, when it fits. Pace requests with extensions.cost or the ` +
        'RateLimit-* headers.',
      {
        extensions: {
          code: ErrorCode.RATE_LIMITED,
          retryAfterSeconds,
          cost: report,
          http: {
            status: 429,
            headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]),
          },
        },
      },
    );
  }
}

/**
 * Per-token leaky buckets of cost points (API.md section 9): an operation's requested cost is
 * reserved before it runs and settled to its actual cost when it ends. If the shared store
 * cannot be reached, this instance keeps its own buckets until it can again, rather than refusing
 * or admitting everything.
 *
 * One statement per request on PostgreSQL: what a request gives back (reserved beyond its actual
 * cost) is carried, in this instance's memory, into the token's next reserve, which applies it
 * in the same row update. Carried points are only ever owed to the token, so the shared bucket
 * never holds more than it should (a token cannot overspend by it); a request that cost more
 * than it reserved is charged at once.
 */
export class CostBudget {
  private readonly fallback: MemoryBudgetStore;
  /** Points owed back to each token, applied by its next reserve (or `flush`). */
  private readonly carried = new Map<string, number>();

  constructor(
    readonly settings: BudgetSettings,
    private readonly store: BudgetStore,
    private readonly logger: Logger,
    readonly clock: Clock = systemClock,
  ) {
    this.fallback = new MemoryBudgetStore(settings);
  }

  /** Reserves `requested` points: what is left, or QueryTooCostlyError / BudgetExhaustedError. */
  async reserve(tokenId: string, requested: number): Promise<number> {
    const now = this.clock.now().getTime();
    if (requested > this.settings.size) {
      throw new QueryTooCostlyError(
        this.report(requested, 0, await this.guard((s) => s.peek(tokenId, now))),
      );
    }
    const carried = this.carried.get(tokenId) ?? 0;
    this.carried.delete(tokenId);
    let outcome: { taken: boolean; available: number };
    try {
      outcome = await this.guard((s) => s.take(tokenId, requested, now, carried));
    } catch (error) {
      this.carry(tokenId, carried);
      throw error;
    }
    const { taken } = outcome;
    let { available } = outcome;
    if (!taken) {
      // Refused: nothing was applied, the carried points stay owed (and count as available).
      this.carry(tokenId, carried);
      available = Math.min(this.settings.size, available + carried);
      const retryAfter = Math.max(
        1,
        Math.ceil((requested - available) / this.settings.restoreRate),
      );
      throw new BudgetExhaustedError(this.report(requested, 0, available), retryAfter);
    }
    return available;
  }

  /**
   * Gives back what was reserved beyond the actual cost: carried into the token's next reserve,
   * no statement now. A request that read more than it reserved is charged the difference at
   * once. Resolves once nothing more is to be written for this request.
   */
  async settle(tokenId: string, requested: number, actual: number): Promise<void> {
    const difference = requested - actual;
    if (difference > 0) {
      this.carry(tokenId, difference);
    } else if (difference < 0) {
      const now = this.clock.now().getTime();
      await this.guard((s) => s.give(tokenId, difference, now));
    }
  }

  /** What the token's bucket holds now, the points carried for it included. */
  async available(tokenId: string): Promise<number> {
    const now = this.clock.now().getTime();
    const stored = await this.guard((s) => s.peek(tokenId, now));
    return Math.min(this.settings.size, stored + (this.carried.get(tokenId) ?? 0));
  }

  /** Writes every carried give-back (shutdown: the shared buckets get their points back). */
  async flush(): Promise<void> {
    const now = this.clock.now().getTime();
    const owed = [...this.carried];
    this.carried.clear();
    for (const [tokenId, points] of owed) {
      await this.guard((s) => s.give(tokenId, points, now));
    }
  }

  /** Whole seconds until a bucket that holds `available` is full again. */
  secondsUntilFull(available: number): number {
    return Math.max(0, Math.ceil((this.settings.size - available) / this.settings.restoreRate));
  }

  report(requested: number, actual: number, available: number): CostReport {
    return {
      requestedQueryCost: requested,
      actualQueryCost: actual,
      throttleStatus: {
        maximumAvailable: this.settings.size,
        currentlyAvailable: Math.max(0, Math.floor(available)),
        restoreRate: this.settings.restoreRate,
      },
    };
  }

  /** The `RateLimit-*` headers, in points. */
  headers(available: number): [string, string][] {
    return [
      ['ratelimit-limit', String(this.settings.size)],
      ['ratelimit-remaining', String(Math.max(0, Math.floor(available)))],
      ['ratelimit-reset', String(this.secondsUntilFull(available))],
    ];
  }

  private carry(tokenId: string, points: number): void {
    if (points !== 0) {
      this.carried.set(tokenId, (this.carried.get(tokenId) ?? 0) + points);
    }
  }

  private async guard<T>(use: (store: BudgetStore) => Promise<T>): Promise<T> {
    try {
      return await use(this.store);
    } catch (error) {
      this.logger.warn({ err: error }, 'cost budget store unavailable; this instance counts alone');
      return use(this.fallback);
    }
  }
}
