import type { Socket } from 'node:net';
import { Client, type PoolClient } from 'pg';
import type { StatementDeadline } from '../../src/db/statement-deadline';
import { TEST_DATABASE_URL } from '../helpers/test-database';
import { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * `Database.read` on PostgreSQL sends its statement through the pool, a client checked out for
 * it while the query's deadline runs (review of the change): a connection lost meanwhile (a
 * network reset, a proxy or failover) fails that read, and only that read.
 */
describe('a read straight from the pool whose connection is lost', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  /** A deadline far away, whose timer never fires: only the lost connection ends the read. */
  const deadline: StatementDeadline = {
    remainingMs: () => 600_000,
    expire: () => new Error('expired'),
    timer: () => () => undefined,
  };

  it.each([
    ['within a query’s deadline', true],
    ['outside any query', false],
  ])(
    'fails the read, keeps the process and drops the client from the pool, %s',
    async (_name, bounded) => {
      const db = app.services.db;
      const pool = db.postgresPool;
      if (pool === null) {
        throw new Error('this test runs on PostgreSQL');
      }
      // The read waits for a lock the test holds, so it is surely running when its socket goes.
      const lock = new Client({ connectionString: TEST_DATABASE_URL });
      await lock.connect();
      await lock.query('SELECT pg_advisory_lock(4343)');
      try {
        let checkedOut: PoolClient | undefined;
        pool.once('acquire', (client: PoolClient) => (checkedOut = client));
        const send = () =>
          db.read("SELECT pg_advisory_xact_lock_shared(4343)::text AS c, 'lost42' AS marker", {});
        const read = bounded ? db.withDeadline(deadline, send) : send();
        const outcome = read.then(
          () => 'answered',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        await until(async () => {
          const { rows } = await lock.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE strpos(query, 'lost42') > 0
            AND pid <> pg_backend_pid()`,
          );
          return Number(rows[0].n) === 1;
        }, 'the read to wait for the lock');
        // Someone handles its 'error' event: without a listener, node-pg's emit of a lost
        // connection is thrown as an uncaught exception, which ends the server.
        expect(checkedOut?.listenerCount('error')).toBeGreaterThan(0);
        // What a network reset does to the client's socket (node-pg keeps it in `connection`).
        const socket = (checkedOut as unknown as { connection: { stream: Socket } }).connection
          .stream;
        socket.destroy();

        expect(await outcome).toMatch(/Connection terminated/);
        await until(() => pool.totalCount === pool.idleCount, 'the pool to settle');
        // The broken client is gone; the next read gets a working one.
        expect(await db.withDeadline(deadline, () => db.read('SELECT 1 AS one', {}))).toEqual([
          { one: 1 },
        ]);
      } finally {
        await lock.end();
      }
    },
  );

  it('fails with its SQL, not its parameters, as TypeORM’s statements do', async () => {
    const db = app.services.db;
    const read = db.withDeadline(deadline, () =>
      db.read('SELECT no_such_column FROM "board" WHERE id = :id', { id: 'a-parameter' }),
    );
    const error = (await read.then(
      () => undefined,
      (thrown: unknown) => thrown,
    )) as Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error.query).toBe('SELECT no_such_column FROM "board" WHERE id = $1');
    expect(JSON.stringify(error)).not.toContain('a-parameter');
  });
});
