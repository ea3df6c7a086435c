import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DatabaseConfig } from '../../src/core/config';

/** Which database the suite runs on: SQLite by default, PostgreSQL under `npm run test:postgres`. */
export const TEST_DB: 'sqlite' | 'postgres' =
  process.env.STATUSGRAPH_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  config: DatabaseConfig;
  /** A folder of the test's own (the SQLite file lives here). */
  dir: string;
  /** On PostgreSQL, the schema made for this test. */
  schema: string | null;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test app: a new SQLite file in a temporary folder, or a new
 * schema in the PostgreSQL test database (its search_path set through the URL), dropped after.
 */
export async function createTestDatabase(
  kind: 'sqlite' | 'postgres' = TEST_DB,
): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'statusgraph-test-'));
  if (kind === 'sqlite') {
    return {
      config: { type: 'sqlite', path: join(dir, 'test.sqlite') },
      dir,
      schema: null,
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  await adminQuery(`CREATE SCHEMA "${schema}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    config: { type: 'postgres', url: url.toString() },
    dir,
    schema,
    async drop() {
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
