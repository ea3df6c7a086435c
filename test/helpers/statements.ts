import type { DataSource, Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import type { Database } from '../../src/db/database';

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
