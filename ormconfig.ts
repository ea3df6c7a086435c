import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/core/config';
import { DATABASE_MAPPING } from './src/app';
import { dataSourceOptions } from './src/db/data-source';

/**
 * For the TypeORM CLI (e.g. `npx typeorm migration:show -d dist/ormconfig.js`): the same
 * DataSource the server opens, from the same settings.
 */
export default new DataSource(dataSourceOptions(loadConfig().database, DATABASE_MAPPING));
