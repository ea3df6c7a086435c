import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Pool } from 'pg';
import { type Clock, systemClock } from '../core/clock';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import { COST_BUDGET_TABLE } from '../db/migrations/1700000005300-cost-budgets';
import { COST_BUDGET_TAKE } from '../db/migrations/1700000005400-cost-budget-take';
import type { SideRead, SideValues } from '../db/side-read';

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
  /**
   * `take` as a column that rides along with another statement (PostgreSQL: the token
   * look-up's), read back by `takenAlongside`; absent where a take costs no statement.
   */
  takeAlongside?(tokenId: string, points: number, now: number, carried: number): SideRead;
  /** What the bucket held after the take read along, or null: not taken (nothing changed). */
  takenAlongside?(values: SideValues | undefined): number | null;
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

/** The alias of a take that rides along with another statement. */
const TAKEN_ALONGSIDE = 'budget_taken';

/**
 * One bucket per token for every instance: each charge is one call of `cost_budget_take`
 * (migration 1700000005400) that refills, gives back what the token's previous request on this
 * instance left over, and takes, in the same row update, so two instances never both spend the
 * same points. Its statement commits without waiting for its WAL flush: a budget upsert then
 * costs tens of microseconds instead of a disk flush (~1.5 ms here) on every request. A
 * PostgreSQL crash may forget the charges of its last fraction of a second; a budget is a pace,
 * not a record, and an unreachable database already lets each instance count alone.
 */
export class PostgresBudgetStore implements BudgetStore {
  constructor(
    private readonly settings: BudgetSettings,
    private readonly pool: Pool,
  ) {}

  async take(tokenId: string, points: number, now: number, carried: number) {
    const { rows } = await this.pool.query<{ available: number | null }>({
      // A named statement: parsed and planned once per connection, then only bound.
      name: 'cost-budget-take',
      text: `SELECT ${COST_BUDGET_TAKE}($1, $2, $3, $4, $5, $6) AS available`,
      values: [tokenId, this.settings.size, points, now, this.settings.restoreRate, carried],
    });
    const available = rows[0]?.available;
    if (available !== null && available !== undefined) {
      return { taken: true, available: Number(available) };
    }
    return { taken: false, available: await this.peek(tokenId, now) };
  }

  takeAlongside(tokenId: string, points: number, now: number, carried: number): SideRead {
    return {
      columns: {
        [TAKEN_ALONGSIDE]:
          `SELECT ${COST_BUDGET_TAKE}(:budgetToken, :budgetSize, :budgetPoints, :budgetNow, ` +
          ':budgetRate, :budgetCarried)',
      },
      parameters: {
        budgetToken: tokenId,
        budgetSize: this.settings.size,
        budgetPoints: points,
        budgetNow: now,
        budgetRate: this.settings.restoreRate,
        budgetCarried: carried,
      },
    };
  }

  takenAlongside(values: SideValues | undefined): number | null {
    const available = values?.[TAKEN_ALONGSIDE];
    return available === null || available === undefined ? null : Number(available);
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

/** Points a request took from its token's bucket ahead, in the token look-up's statement. */
export interface TakenAhead {
  readonly tokenId: string;
  readonly points: number;
  /** What the bucket held after the take. */
  readonly available: number;
  /** Whether `reserve` has counted it, or it was given back. */
  used: boolean;
}

/** A take ahead in the making: what rides along with the token look-up, and its outcome. */
export interface BudgetAhead {
  /** The column to read along with the look-up, or null: nothing is taken ahead this time. */
  readonly alongside: SideRead | null;
  /**
   * The look-up's outcome: the id of the token it authenticated (null: refused) and the values
   * read along. What was taken for any other outcome is given back.
   */
  outcome(tokenId: string | null, values: SideValues | undefined): Promise<TakenAhead | null>;
}

/** The most (token, document) pairs whose requested cost is remembered, and the longest document. */
const REMEMBERED_DOCUMENTS = 1000;
const REMEMBERED_DOCUMENT_LENGTH = 4096;
/** The most secrets (by hash) whose token is remembered. */
const REMEMBERED_SECRETS = 10_000;

/** Remembers `key`, forgetting the oldest entry once `map` holds `most`. */
function remember<V>(map: Map<string, V>, key: string, value: V, most: number): void {
  map.delete(key);
  if (map.size >= most) {
    map.delete(map.keys().next().value as string);
  }
  map.set(key, value);
}

/**
 * Per-token leaky buckets of cost points (API.md section 9): an operation's requested cost is
 * reserved before it runs and settled to its actual cost when it ends. If the shared store
 * cannot be reached, this instance keeps its own buckets until it can again, rather than refusing
 * or admitting everything.
 *
 * On PostgreSQL a request of a document seen before pays no budget statement of its own: its
 * points are taken with its token look-up (`ahead`). What a request gives back (reserved beyond
 * its actual cost) is carried, in this instance's memory, into the token's next take, which
 * applies it in the same row update. Carried points are only ever owed to the token, so the shared bucket
 * never holds more than it should (a token cannot overspend by it); a request that cost more
 * than it reserved is charged at once.
 */
export class CostBudget {
  private readonly fallback: MemoryBudgetStore;
  /** Points owed back to each token, applied by its next reserve (or `flush`). */
  private readonly carried = new Map<string, number>();
  /** The requested cost of each token's small documents last time (by token id and `documentKey`). */
  private readonly requestedOf = new Map<string, number>();
  /** The token each secret authenticated last time, by the secret's hash. */
  private readonly tokenOfSecret = new Map<string, string>();

  constructor(
    readonly settings: BudgetSettings,
    private readonly store: BudgetStore,
    private readonly logger: Logger,
    readonly clock: Clock = systemClock,
  ) {
    this.fallback = new MemoryBudgetStore(settings);
  }

  /**
   * Notes what a token's document was estimated to cost, so that the token's next request of it
   * can take that much ahead, with its token look-up (`ahead`). Only small documents are
   * remembered, and only for the token that sent them: no other token's request moves the
   * points taken ahead from a token's bucket.
   */
  noteRequested(tokenId: string, document: string | undefined, requested: number): void {
    if (document !== undefined && document.length <= REMEMBERED_DOCUMENT_LENGTH) {
      remember(this.requestedOf, `${tokenId}\n${document}`, requested, REMEMBERED_DOCUMENTS);
    }
  }

  /**
   * The points of a request taken ahead, in its token look-up's statement (PostgreSQL): one
   * statement on the hot path instead of two. The operation is not known yet, so what is taken
   * is what the token's same document cost last time, the token being the one the same secret
   * authenticated last time; `reserve` then takes the rest or gives back the surplus, before
   * anything runs. Nothing is taken for a document or secret not seen before, or where a take
   * costs no statement. A request refused, or ended before its operation is known, gives back
   * what it took at once, to the shared bucket: every instance sees it as never charged.
   */
  ahead(secretHash: string, document: string | undefined): BudgetAhead {
    const expected = this.tokenOfSecret.get(secretHash);
    const points =
      expected === undefined ||
      document === undefined ||
      document.length > REMEMBERED_DOCUMENT_LENGTH
        ? undefined
        : this.requestedOf.get(`${expected}\n${document}`);
    const store = this.store;
    const learn = (tokenId: string | null) => {
      if (tokenId === null) {
        this.tokenOfSecret.delete(secretHash);
      } else {
        remember(this.tokenOfSecret, secretHash, tokenId, REMEMBERED_SECRETS);
      }
    };
    if (
      expected === undefined ||
      points === undefined ||
      points > this.settings.size ||
      !store.takeAlongside ||
      !store.takenAlongside
    ) {
      return { alongside: null, outcome: async (tokenId) => (learn(tokenId), null) };
    }
    const carried = this.carried.get(expected) ?? 0;
    this.carried.delete(expected);
    const now = this.clock.now().getTime();
    return {
      alongside: store.takeAlongside(expected, points, now, carried),
      outcome: async (tokenId, values) => {
        learn(tokenId);
        const available = store.takenAlongside?.(values) ?? null;
        if (available === null) {
          // Not taken (or no row found): nothing was applied, the carried points stay owed.
          this.carry(expected, carried);
          return null;
        }
        const taken: TakenAhead = { tokenId: expected, points, available, used: false };
        if (tokenId !== expected) {
          // Refused (or, in theory, another token): given back (the carried points applied).
          await this.giveBack(taken);
          return null;
        }
        return taken;
      },
    };
  }

  /**
   * Gives back, to the shared bucket, a take ahead that no `reserve` counted (the request was
   * refused or ended before it): a statement on that path, so that no instance counts it.
   */
  async giveBack(ahead: TakenAhead): Promise<void> {
    if (!ahead.used) {
      ahead.used = true;
      const now = this.clock.now().getTime();
      await this.guard((s) => s.give(ahead.tokenId, ahead.points, now));
    }
  }

  /**
   * Reserves `requested` points, counting what was taken ahead for the request: what is left,
   * or QueryTooCostlyError / BudgetExhaustedError (what was taken ahead then given back).
   */
  async reserve(tokenId: string, requested: number, ahead?: TakenAhead): Promise<number> {
    let owed = 0;
    if (ahead !== undefined && !ahead.used && ahead.tokenId === tokenId) {
      if (requested <= ahead.points) {
        ahead.used = true;
        const surplus = ahead.points - requested;
        if (surplus === 0) {
          return ahead.available;
        }
        // The document costs less than last time: the surplus goes back to the shared row now
        // (a statement on that path only), not owed in this instance's memory, where other
        // instances would count it as spent until the token's next request here.
        const now = this.clock.now().getTime();
        return this.guard((s) => s.give(tokenId, surplus, now));
      }
      if (requested > this.settings.size) {
        await this.giveBack(ahead);
      } else {
        ahead.used = true;
        owed = ahead.points;
      }
    }
    const now = this.clock.now().getTime();
    if (requested > this.settings.size) {
      throw new QueryTooCostlyError(this.report(requested, 0, await this.available(tokenId)));
    }
    const carried = this.carried.get(tokenId) ?? 0;
    this.carried.delete(tokenId);
    let outcome: { taken: boolean; available: number };
    try {
      outcome = await this.guard((s) => s.take(tokenId, requested - owed, now, carried));
      if (!outcome.taken && owed > 0) {
        // Concurrent requests that each took a part ahead would each wait for a rest the
        // others hold: the part goes back to the shared bucket and the whole is asked once,
        // so that one of them gets through, as when each asked for its whole.
        await this.guard((s) => s.give(tokenId, owed, now));
        owed = 0;
        outcome = await this.guard((s) => s.take(tokenId, requested, now, carried));
      }
    } catch (error) {
      this.carry(tokenId, carried + owed);
      throw error;
    }
    const { taken } = outcome;
    let { available } = outcome;
    if (!taken) {
      // Refused: nothing was applied, the carried points stay owed and count as available.
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
