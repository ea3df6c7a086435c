import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * What one operation read while it ran: SQL statements sent and rows they returned (API.md
 * section 9's `actualQueryCost`, a point each). Counted where every row comes from, the query
 * runners of the application's DataSources and `Database.read`'s statements straight from
 * PostgreSQL's pool, so any way of reading (the query builder, `find`, raw SQL, a joined or
 * column-chosen list path) counts the same way.
 */
export class CostMeter {
  statements = 0;
  rows = 0;

  get points(): number {
    return this.statements + this.rows;
  }

  record(result: unknown): void {
    this.statements++;
    this.rows += rowsOf(result);
  }
}

function rowsOf(result: unknown): number {
  if (Array.isArray(result)) {
    return result.length;
  }
  // TypeORM's structured result (`useStructuredResult`): the query builder reads `records`.
  const records = (result as { records?: unknown } | null)?.records;
  return Array.isArray(records) ? records.length : 0;
}

const current = new AsyncLocalStorage<CostMeter>();

/** Runs `work` with every statement it causes, however deep in its promises, counted on `meter`. */
export function metered<T>(meter: CostMeter, work: () => T): T {
  return current.run(meter, work);
}

/**
 * Charges rows a statement read without returning them (the input of an aggregate computed in
 * SQL, such as a monitor's status events summed into its uptime) to the running operation.
 */
export function chargeRowsRead(rows: number): void {
  const meter = current.getStore();
  if (meter) {
    meter.rows += rows;
  }
}

/**
 * Sends one statement counted on the meter of the operation that runs it: a point for the
 * statement, one for each row it returns; a statement that failed (a timeout, say) still ran, so
 * it is charged, with no rows.
 */
export async function countedStatement<T>(send: () => Promise<T>): Promise<T> {
  const meter = current.getStore();
  try {
    const result = await send();
    meter?.record(result);
    return result;
  } catch (error) {
    meter?.record(undefined);
    throw error;
  }
}

type Query = QueryRunner['query'];
const counted = new WeakSet<QueryRunner>();

/**
 * Counts, on the meter of the operation that runs it, every statement of `source`'s query
 * runners. A runner's statements run in the async context of whoever called them, so each
 * request's meter sees only its own, even on SQLite's one shared connection.
 */
export function meterStatements(source: DataSource): void {
  const driver = source.driver;
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => {
    const runner = create(mode);
    if (!counted.has(runner)) {
      counted.add(runner);
      const query = runner.query.bind(runner) as Query;
      runner.query = ((...args: Parameters<Query>) =>
        countedStatement<unknown>(() => query(...args))) as Query;
    }
    return runner;
  };
}
