import type { DataSource, Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import type { Database } from '../../src/db/database';

/**
 * Observes the loggers of the database's connections (the writer's, and on SQLite the reader's)
 * while `work` runs: every statement TypeORM sends, in order.
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
    logQueryError: (error, query, parameters, queryRunner) =>
      original.logQueryError(error, query, parameters, queryRunner),
    logQuerySlow: (time, query, parameters, queryRunner) =>
      original.logQuerySlow(time, query, parameters, queryRunner),
    logSchemaBuild: (message, queryRunner) => original.logSchemaBuild(message, queryRunner),
    logMigration: (message, queryRunner) => original.logMigration(message, queryRunner),
    log: (level, message, queryRunner) => original.log(level, message, queryRunner),
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
