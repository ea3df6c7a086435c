import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { closeServices, openServices, type Services } from '../src/app';
import type { Config, DatabaseConfig } from '../src/core/config';
import { createLogger } from '../src/core/logger';

export type BenchDatabaseKind = 'sqlite' | 'postgres';

export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchServices {
  services: Services;
  /** Where the database is, for a server process of the bench's to open the same one. */
  database: DatabaseConfig;
  /** Closes the services, then removes the SQLite file or drops the PostgreSQL schema. */
  close(): Promise<void>;
}

/**
 * Services on a fresh, empty database of their own: a SQLite file in a temporary folder, or a
 * new schema in the PostgreSQL database of `BENCH_DATABASE_URL` (its search_path set through the
 * URL's `options`, so the migrations and every query land in it), so a run never sees another's
 * rows and leaves nothing behind.
 */
export async function openBenchServices(kind: BenchDatabaseKind): Promise<BenchServices> {
  const store = await createStore(kind);
  let services: Services;
  try {
    services = await openServices(benchConfig(store.config), createLogger('silent'));
  } catch (error) {
    await store.remove();
    throw error;
  }
  return {
    services,
    database: store.config,
    async close() {
      try {
        await closeServices(services);
      } finally {
        await store.remove();
      }
    },
  };
}

/**
 * The bench's settings: those of a default deployment, except rate limits far above anything
 * one client here can send (in force, never reached: a 429 would fail the bench).
 */
export function benchConfig(database: DatabaseConfig): Config {
  return {
    port: 0,
    database,
    logLevel: 'silent',
    lastUsedWriteIntervalSeconds: 60,
    limits: {
      costBucketSize: 1_000_000_000,
      costRestoreRate: 1_000_000_000,
      authFailuresPerMinute: 10_000_000,
    },
  };
}

interface Store {
  config: DatabaseConfig;
  remove(): Promise<void>;
}

async function createStore(kind: BenchDatabaseKind): Promise<Store> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'statusgraph-bench-'));
    return {
      config: { type: 'sqlite', path: join(dir, 'bench.sqlite') },
      async remove() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  await adminQuery(`CREATE SCHEMA "${schema}"`);
  const url = new URL(BENCH_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    config: { type: 'postgres', url: url.toString() },
    async remove() {
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

// Outside the services' pool: the schema must exist before they connect and go after they close.
async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
