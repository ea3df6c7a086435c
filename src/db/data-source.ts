import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../core/config';
import { SnakeNamingStrategy } from './naming-strategy';

/** Milliseconds a connection waits for another process's write lock (the CLI beside the server). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * A SQLite connection that runs its statements one at a time, in the order they were sent. The
 * driver otherwise hands each statement to libuv's thread pool at once, where all but one wait
 * on the connection's lock, each holding a thread: one query's batched reads could fill the pool
 * and keep every other connection, the writer's included, waiting for a thread. One thread per
 * connection at most is what core/thread-pool.ts sizes the pool on.
 */
class OneStatementAtATime extends sqlite3.Database {
  constructor(...args: ConstructorParameters<typeof sqlite3.Database>) {
    super(...args);
    this.serialize();
  }
}

/**
 * sqlite3 as TypeORM loads it (it calls `verbose()` on any driver it is given, and opens every
 * connection, the statement guard's too, with its `Database`): connections of
 * `OneStatementAtATime`, and a `verbose()` that changes nothing. Verbose mode makes every
 * statement capture a stack trace and util.inspect() its SQL and parameters (measured: +40 µs a
 * statement, more for a 500-row insert) for longer traces on errors that TypeORM wraps anyway.
 */
const SQLITE3: typeof sqlite3 = Object.assign(Object.create(sqlite3) as typeof sqlite3, {
  Database: OneStatementAtATime,
  verbose: () => SQLITE3,
});

/**
 * What the DataSource maps, handed down by the composition root (app.ts): db/ knows no feature.
 * Without it, a connection for raw SQL only (no entities, no migrations).
 */
export interface DatabaseMapping {
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
}

const RAW_SQL_ONLY: DatabaseMapping = { entities: [], migrations: [] };

export function dataSourceOptions(
  config: DatabaseConfig,
  mapping: DatabaseMapping = RAW_SQL_ONLY,
): DataSourceOptions {
  const common = {
    entities: mapping.entities,
    migrations: mapping.migrations,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const;
  if (config.type === 'sqlite') {
    return {
      ...common,
      type: 'sqlite',
      database: config.path,
      enableWAL: true,
      busyTimeout: SQLITE_BUSY_TIMEOUT_MS,
      driver: SQLITE3,
    };
  }
  return { ...common, type: 'postgres', url: config.url };
}

/** A DataSource for the configured database; the SQLite file's folder is created when missing. */
export function createDataSource(config: DatabaseConfig, mapping: DatabaseMapping): DataSource {
  if (config.type === 'sqlite') {
    mkdirSync(dirname(config.path), { recursive: true });
  }
  return new DataSource(dataSourceOptions(config, mapping));
}
