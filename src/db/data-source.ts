import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { SnakeNamingStrategy } from './naming-strategy';

/** Milliseconds a connection waits for another process's write lock (the CLI beside the server). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
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
    };
  }
  return { ...common, type: 'postgres', url: config.url };
}

/** A DataSource for the configured database; the SQLite file's folder is created when missing. */
export function createDataSource(config: DatabaseConfig): DataSource {
  if (config.type === 'sqlite') {
    mkdirSync(dirname(config.path), { recursive: true });
  }
  return new DataSource(dataSourceOptions(config));
}
