import type { DataSource, Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import type { Database } from '../../src/db/database';
import type { TestApp } from './test-app';

/**
 * The SQL statements TypeORM sends while `work` runs, observed at the loggers of the database's
 * connections (the writer's, and on SQLite the reader's), as query-count.test.ts counts them.
 */
export async function statementsOf(db: Database, work: () => Promise<void>): Promise<string[]> {
  const sources = [...new Set([db.dataSource, db.readSource])];
  const originals = sources.map((source) => source.logger);
  const statements: string[] = [];
  const counting = (original: TypeOrmLogger): TypeOrmLogger => ({
    logQuery(query: string, parameters?: unknown[], queryRunner?: QueryRunner) {
      statements.push(query);
      original.logQuery(query, parameters, queryRunner);
    },
    logQueryError: (...args) => original.logQueryError(...args),
    logQuerySlow: (...args) => original.logQuerySlow(...args),
    logSchemaBuild: (...args) => original.logSchemaBuild(...args),
    logMigration: (...args) => original.logMigration(...args),
    log: (...args) => original.log(...args),
  });
  const setLogger = (source: DataSource, logger: TypeOrmLogger) =>
    Object.defineProperty(source, 'logger', { value: logger, configurable: true, writable: true });
  sources.forEach((source, i) => setLogger(source, counting(originals[i])));
  try {
    await work();
  } finally {
    sources.forEach((source, i) => setLogger(source, originals[i]));
  }
  return statements;
}

/**
 * The statements of one GraphQL request, by default with the READ_ONLY token, authentication excluded:
 * the context is built first, and the background last-use write it schedules is flushed before
 * counting starts. The request must succeed.
 */
export async function statementsOfRequest<T>(
  app: TestApp,
  query: string,
  variables: Record<string, unknown> = {},
  secret = app.identities.readOnly.secret,
): Promise<{ data: T; statements: string[] }> {
  const contextValue = await app.contextFor(secret);
  await app.services.lastUse.flush();
  let data: T | undefined;
  const statements = await statementsOf(app.services.db, async () => {
    const response = await app.apollo.executeOperation({ query, variables }, { contextValue });
    if (response.body.kind !== 'single') {
      throw new Error('expected a single result');
    }
    expect(response.body.singleResult.errors).toBeUndefined();
    data = response.body.singleResult.data as T;
  });
  if (data === undefined) {
    throw new Error('no data');
  }
  return { data, statements };
}

/**
 * Every statement sent to the database while `work` runs: TypeORM's (as statementsOf) and, on
 * PostgreSQL, those sent straight to the driver's pool (the shared cost budget and the
 * auth-failure counters use it), observed by wrapping the pool's `query` for the duration.
 */
export async function everyStatementOf(db: Database, work: () => Promise<void>): Promise<string[]> {
  const pool = db.postgresPool;
  const direct: string[] = [];
  if (pool === null) {
    return statementsOf(db, work);
  }
  const original = pool.query;
  const counting = function (this: typeof pool, ...args: unknown[]) {
    const [config] = args;
    direct.push(typeof config === 'string' ? config : String((config as { text: string }).text));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  Object.defineProperty(pool, 'query', { value: counting, configurable: true, writable: true });
  try {
    const viaTypeOrm = await statementsOf(db, work);
    return [...direct, ...viaTypeOrm];
  } finally {
    Object.defineProperty(pool, 'query', { value: original, configurable: true, writable: true });
  }
}
