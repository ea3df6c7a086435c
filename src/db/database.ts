import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { DateUtils } from 'typeorm/util/DateUtils';
import { countedStatement, meterStatements } from './cost-meter';
import { sqliteJsonRows } from './json-rows';
import { type StatementDeadline, StatementGuard } from './statement-deadline';

const SQLITE_BUSY = /SQLITE_BUSY/;
const BUSY_RETRIES = 5;

/**
 * The one way the application reads and writes. On SQLite every write runs through a single
 * in-process queue: TypeORM's SQLite driver shares one connection, so two transactions at once
 * fail ("cannot start a transaction within a transaction") and a write issued meanwhile would
 * join, and roll back with, another request's transaction. For the same reason reads get a
 * connection of their own there (`readSource`): on the writer's connection a read would see the
 * uncommitted rows of whatever transaction is open, rows that may yet be rolled back. WAL gives
 * the reading connection the last committed state, and lets it read while a write goes on.
 */
export class Database {
  private tail: Promise<unknown> = Promise.resolve();
  private lastNow = 0;
  /** Bounds a query's read statements by its deadline (installed after the meter: outside it). */
  readonly statements: StatementGuard;

  constructor(
    readonly dataSource: DataSource,
    readonly readSource: DataSource = dataSource,
  ) {
    new Set([dataSource, readSource]).forEach(meterStatements);
    this.statements = new StatementGuard(readSource);
  }

  /**
   * Runs a query's execution with each read statement it causes stopped at `deadline` (API.md
   * section 9), and only those: on SQLite they read on a connection of their own meanwhile.
   */
  withDeadline<T>(deadline: StatementDeadline, work: () => Promise<T>): Promise<T> {
    return this.statements.run(deadline, work);
  }

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'sqlite';
  }

  /**
   * The driver's connection pool on PostgreSQL (one DataSource reads and writes there): for the
   * shared rate-limit counters and the reads sent without a query runner.
   */
  get postgresPool(): Pool | null {
    return this.isSqlite ? null : ((this.dataSource.driver as PostgresDriver).master as Pool);
  }

  /**
   * Find options that lock the rows found until the transaction ends (PostgreSQL). A change
   * takes its timestamp only after the lock, so two changes of one row commit in the order of
   * their timestamps. SQLite needs nothing: its writes already run one at a time.
   */
  get forUpdate(): { lock?: { mode: 'pessimistic_write' } } {
    return this.isSqlite ? {} : { lock: { mode: 'pessimistic_write' } };
  }

  /**
   * Find options that keep the rows found from being changed or deleted until the transaction
   * ends (PostgreSQL `FOR SHARE`), while other transactions that only hold them go on: what a
   * change needs of a row it hangs something off (a board, for a new incident), not of one it
   * changes.
   */
  get forShare(): { lock?: { mode: 'pessimistic_read' } } {
    return this.isSqlite ? {} : { lock: { mode: 'pessimistic_read' } };
  }

  /**
   * A raw read with named parameters (`:name`, `:...list`), which the driver turns into its own
   * placeholders (`?` on SQLite, `$1` on PostgreSQL), as it does for the query builder.
   */
  async read<T>(sql: string, parameters: Record<string, unknown>): Promise<T[]> {
    const [text, values] = this.withPlaceholders(sql, parameters);
    const pool = this.postgresPool;
    if (pool === null) {
      return this.readSource.manager.query(text, values);
    }
    // Straight from the pool: a TypeORM query runner for one statement (created, connected,
    // wrapped, broadcast, released) cost more CPU than the rest of `board(id)`. Counted, bounded
    // by the query's deadline, logged and failing as a runner's statements do.
    return this.statements.poolRead(pool, (client) =>
      countedStatement(async () => {
        this.readSource.logger.logQuery(text, values);
        try {
          return (await client.query(text, values)).rows as T[];
        } catch (error) {
          // With its SQL (not its parameters), as TypeORM's QueryFailedError is logged.
          throw error instanceof Error ? Object.assign(error, { query: text }) : error;
        }
      }),
    );
  }

  /**
   * `read` for a statement of many rows whose result columns include `columns`: on SQLite they
   * come from the driver as one JSON text (`sqliteJsonRows`), in no particular order.
   */
  async readMany<T>(
    sql: string,
    parameters: Record<string, unknown>,
    columns: readonly string[],
  ): Promise<T[]> {
    if (!this.isSqlite) {
      return this.read<T>(sql, parameters);
    }
    return sqliteJsonRows<T>(this.readSource, ...this.withPlaceholders(sql, parameters), columns);
  }

  /** `sql` with the driver's own placeholders for its named parameters, and their values. */
  private withPlaceholders(sql: string, parameters: Record<string, unknown>): [string, unknown[]] {
    return this.readSource.driver.escapeQueryWithParameters(sql, parameters, {});
  }

  /** For reads of committed data: never use it to write, nor inside a write's transaction. */
  get reader(): EntityManager {
    return this.readSource.manager;
  }

  /** Runs `work` in one transaction; on SQLite after every write queued before it. */
  write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) {
      return this.dataSource.transaction(work);
    }
    const run = this.tail.then(() => this.withBusyRetry(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * The time for a change, strictly increasing in this process. Taken inside a write (which on
   * SQLite run one at a time), it orders changes as they commit, so an incremental sync that
   * walks `(updatedAt, id)` never finds a change behind a cursor it has already passed.
   */
  now(): Date {
    this.lastNow = Math.max(Date.now(), this.lastNow + 1);
    return new Date(this.lastNow);
  }

  /**
   * A timestamp as a query parameter that compares correctly with stored values: SQLite keeps
   * `YYYY-MM-DD HH:MM:SS.SSS` text in UTC (a bound Date would compare as a number).
   */
  timestamp(date: Date): Date | string {
    return this.isSqlite ? DateUtils.mixedDateToUtcDatetimeString(date) : date;
  }

  /** Waits for queued writes, then closes the connections. */
  async close(): Promise<void> {
    await this.tail;
    await this.statements.close();
    for (const source of new Set([this.readSource, this.dataSource])) {
      if (source.isInitialized) {
        await source.destroy();
      }
    }
  }

  // Another process (the CLI) may hold the write lock longer than the busy timeout, or commit
  // between this transaction's first read and its first write (SQLITE_BUSY_SNAPSHOT, which the
  // busy timeout does not cover): the whole transaction is then run again.
  private async withBusyRetry<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(work);
      } catch (error) {
        if (attempt >= BUSY_RETRIES || !SQLITE_BUSY.test(String(error))) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }
}
