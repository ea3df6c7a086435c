import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/db/data-source';

/**
 * A SQLite connection holds at most one of libuv's pool threads, whatever its callers send at
 * once (db/data-source.ts): statements sent together on one connection wait their turn without a
 * thread, so another connection's statement (the writer's, say) finds a thread free. With the
 * driver's default, each waited on the connection's lock in a thread of its own, and a full pool
 * kept every other connection waiting until one of them ended.
 */
describe("a SQLite connection's use of the thread pool", () => {
  const dir = mkdtempSync(join(tmpdir(), 'statusgraph-sqlite-threads-'));
  const open = async (): Promise<DataSource> =>
    new DataSource(
      dataSourceOptions({ type: 'sqlite', path: join(dir, 'db.sqlite') }),
    ).initialize();
  let busy: DataSource;
  let other: DataSource;
  beforeAll(async () => {
    busy = await open();
    other = await open();
  });
  afterAll(async () => {
    await Promise.all([busy.destroy(), other.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers another connection's statement while one connection has more queued than the pool has threads", async () => {
    const poolThreads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    // A statement that reads nothing but steps a million times: hundreds of milliseconds.
    const long = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
      SELECT count(*) AS steps FROM n`;
    const finished: string[] = [];
    const longOnes = Array.from({ length: poolThreads + 2 }, (_, i) =>
      busy.query(long).then(() => finished.push(`long ${i}`)),
    );
    await other.query('SELECT 1 AS one').then(() => finished.push('short'));
    await Promise.all(longOnes);
    expect(finished[0]).toBe('short');
    expect(finished).toHaveLength(poolThreads + 3);
  });
});
