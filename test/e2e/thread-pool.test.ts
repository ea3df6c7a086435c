import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Child, freePort, killAll, spawnMain } from '../helpers/child-process';

/**
 * The server sizes libuv's thread pool for its query slots (core/thread-pool.ts), so that on
 * SQLite a write never waits for a thread behind reads. Threads are counted as Linux shows them
 * (/proc/PID/task): the same build with other settings differs by exactly the pool's difference.
 */
describe('the thread pool of the server process', () => {
  const children: Child[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'statusgraph-threads-'));
  afterAll(async () => {
    await killAll(children);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a server with `env`, waits until it listens; its thread count and logged pool size. */
  async function threadsOf(name: string, env: Record<string, string>) {
    const child = spawnMain(await freePort(), `sqlite:${join(dir, `${name}.sqlite`)}`, env);
    children.push(child);
    await child.waitForStdout(/statusgraph listening/);
    const listening = child
      .logLines()
      .find((line) => line.msg?.startsWith('statusgraph listening'));
    return {
      threads: readdirSync(`/proc/${child.process.pid}/task`).length,
      logged: listening?.threads,
    };
  }

  it('holds a thread for each query slot and three more, or what the operator chose (environment or .env)', async () => {
    const small = await threadsOf('small', {
      MAX_CONCURRENT_QUERIES: '1',
      MAX_CONCURRENT_EXPENSIVE_QUERIES: '1',
    });
    const large = await threadsOf('large', {
      MAX_CONCURRENT_QUERIES: '6',
      MAX_CONCURRENT_EXPENSIVE_QUERIES: '6',
    });
    const chosen = await threadsOf('chosen', {
      MAX_CONCURRENT_QUERIES: '6',
      MAX_CONCURRENT_EXPENSIVE_QUERIES: '6',
      UV_THREADPOOL_SIZE: '7',
    });
    const envFile = join(dir, 'threads.env');
    writeFileSync(envFile, 'UV_THREADPOOL_SIZE=9\n');
    const fromFile = await threadsOf('from-file', { ENV_FILE: envFile });
    expect([small.logged, large.logged, chosen.logged, fromFile.logged]).toEqual([5, 15, 7, 9]);
    expect(large.threads - small.threads).toBe(15 - 5);
    expect(chosen.threads - small.threads).toBe(7 - 5);
    expect(fromFile.threads - small.threads).toBe(9 - 5);
  });
});
