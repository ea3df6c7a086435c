import { Client } from 'pg';
import type { BeforeQueryEvent, EntitySubscriberInterface } from 'typeorm';
import type { Timer } from '../../src/core/clock';
import { QUERY_TIMEOUT_RETRY_AFTER_SECONDS } from '../../src/limits/query-timeout';
import { everyStatementOf } from '../helpers/statements';
import { TEST_DATABASE_URL, TEST_DB } from '../helpers/test-database';
import { TestApp } from '../helpers/test-app';

/**
 * QUERY_TIMEOUT_MS at each SQL statement (API.md section 9): a statement still running at its
 * query's deadline is stopped, on the real database, and only that query's. The deadline is a
 * timer the test fires (armed when a statement starts, disarmed when it settles); nothing waits
 * on the wall clock. A statement that runs long on both databases is a recursive count, run
 * through the request's own reader by a TypeORM subscriber just before one of the request's
 * statements (TypeORM awaits `beforeQuery`), so no resolver is added for the test.
 */

/** Counts far longer than any test runs: only a stop ends it. */
const ENDLESS = countTo(1e12, 'endless');
/** Several seconds of counting on SQLite: still running when another query is stopped. */
const LONG_COUNT = 1e7;

function countTo(n: number, marker: string): string {
  return (
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) ` +
    `SELECT count(*) AS c, '${marker}' AS marker FROM n`
  );
}

interface Armed {
  ms: number;
  fire: () => void;
  disarmed: boolean;
}

/** A long statement run inside the request whose statement first matches `table`. */
interface Injected {
  table: RegExp;
  sql: string;
  /** The deadline timer its statement armed, once it started. */
  started: Promise<Armed>;
  /** Settles when the long statement does. */
  done: Promise<unknown>;
  settled: boolean;
}

describe('the query deadline at each SQL statement', () => {
  let app: TestApp;
  const armed: Armed[] = [];
  const deadlineTimer: Timer = (ms, fire) => {
    const entry = { ms, fire, disarmed: false };
    armed.push(entry);
    return () => {
      entry.disarmed = true;
    };
  };
  const pending: ((event: BeforeQueryEvent<unknown>) => Promise<unknown> | undefined)[] = [];

  /** Runs `sql` through the request's reader before its first statement on `table`. */
  function inject(table: RegExp, sql: string): Injected {
    let started!: (armed: Armed) => void;
    let done!: (outcome: unknown) => void;
    const injected: Injected = {
      table,
      sql,
      started: new Promise((resolve) => (started = resolve)),
      done: new Promise((resolve) => (done = resolve)),
      settled: false,
    };
    const hook = (event: BeforeQueryEvent<unknown>) => {
      if (!table.test(event.query) || event.query.includes('RECURSIVE')) {
        return undefined;
      }
      pending.splice(pending.indexOf(hook), 1);
      const read = app.services.db.read(sql, {});
      // Armed synchronously as the statement started: the last timer is this statement's.
      started(armed[armed.length - 1]);
      const outcome = read.then(
        (rows) => rows,
        (error: unknown) => error,
      );
      void outcome.then((value) => {
        injected.settled = true;
        done(value);
      });
      return read;
    };
    pending.push(hook);
    return injected;
  }

  beforeAll(async () => {
    app = await TestApp.start({
      deadlineTimer,
      limits: {
        costBucketSize: 1_000_000_000,
        costRestoreRate: 1_000_000_000,
        authFailuresPerMinute: 1_000_000,
        // Only the test's timer ends a statement: the wall clock never reaches this.
        queryTimeoutMs: 600_000,
      },
    });
    const subscriber: EntitySubscriberInterface = {
      beforeQuery: (event) => {
        for (const hook of [...pending]) {
          const result = hook(event);
          if (result) {
            return result;
          }
        }
        return undefined;
      },
    };
    (app.services.db.readSource.subscribers as EntitySubscriberInterface[]).push(subscriber);
    await app.asFullAccess().data('mutation { createBoard(input: { name: "Board" }) { id } }', {});
  });
  afterAll(() => app.close());

  /** Statements of ours still running on PostgreSQL (none of the check's own). */
  async function runningOnPostgres(marker: string): Promise<number> {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
          WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0`,
        [`'${marker}' AS marker`],
      );
      return Number(rows[0].n);
    } finally {
      await client.end();
    }
  }

  function expectTimedOut(response: { status: number; headers: Headers; errors?: unknown[] }) {
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe(String(QUERY_TIMEOUT_RETRY_AFTER_SECONDS));
    expect(response.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'QUERY_TIMEOUT' } }),
    ]);
  }

  it('stops a statement that outlives the deadline: 503 QUERY_TIMEOUT, the statement gone', async () => {
    const endless = inject(/"monitor"/, ENDLESS);
    const response = app.asReadOnly().request('{ monitors(first: 1) { nodes { id } } }');
    const timer = await endless.started;
    expect(timer.ms).toBeGreaterThan(0);
    timer.fire();

    expectTimedOut(await response);
    expect(await endless.done).toMatchObject({ extensions: { code: 'QUERY_TIMEOUT' } });
    if (TEST_DB === 'postgres') {
      expect(await runningOnPostgres('endless')).toBe(0);
    } else {
      // Its connection is back for the next query, which runs on it.
      const connections = app.services.db.statements.sqliteConnections;
      expect(connections).toEqual({ opened: connections?.opened, idle: connections?.opened });
    }
    const next = await app.asReadOnly().request('{ monitors(first: 1) { nodes { id } } }');
    expect(next.status).toBe(200);
    expect(next.errors).toBeUndefined();
  });

  it('never stops another request’s statement, which completes', async () => {
    // PostgreSQL: the other statement waits for a lock the test holds, so it is surely running
    // when the first is cancelled. SQLite has no lock a read waits for: it counts long instead.
    const lock = new Client({ connectionString: TEST_DATABASE_URL });
    const onPostgres = TEST_DB === 'postgres';
    if (onPostgres) {
      await lock.connect();
      await lock.query('SELECT pg_advisory_lock(4242)');
    }
    try {
      const other = inject(
        /"board"/,
        onPostgres
          ? "SELECT pg_advisory_xact_lock_shared(4242)::text AS c, 'waiting' AS marker"
          : countTo(LONG_COUNT, 'counting'),
      );
      const otherResponse = app.asFullAccess().request('{ boards(first: 1) { nodes { name } } }');
      const otherTimer = await other.started;

      const endless = inject(/"monitor"/, ENDLESS);
      const response = app.asReadOnly().request('{ monitors(first: 1) { nodes { id } } }');
      (await endless.started).fire();
      expectTimedOut(await response);

      expect(other.settled).toBe(false);
      expect(otherTimer.disarmed).toBe(false);
      if (onPostgres) {
        expect(await runningOnPostgres('waiting')).toBe(1);
        await lock.query('SELECT pg_advisory_unlock(4242)');
      }
      const answered = await otherResponse;
      expect(answered.status).toBe(200);
      expect(answered.errors).toBeUndefined();
      expect(answered.data).toEqual({ boards: { nodes: [{ name: 'Board' }] } });
      expect(await other.done).toEqual([
        onPostgres ? { c: '', marker: 'waiting' } : { c: LONG_COUNT, marker: 'counting' },
      ]);
      expect(otherTimer.disarmed).toBe(true);
    } finally {
      if (onPostgres) {
        await lock.end();
      }
    }
  });

  it('adds no statement to a small query', async () => {
    // Every statement, TypeORM's and those sent straight to PostgreSQL's pool (the token look-up
    // and the budget's charge, issue 17).
    const viewer = await everyStatementOf(app.services.db, async () => {
      const response = await app.asReadOnly().request('{ viewer { permission } }');
      expect(response.status).toBe(200);
    });
    const page = await everyStatementOf(app.services.db, async () => {
      const response = await app
        .asReadOnly()
        .request(
          '{ boards(first: 5) { totalCount nodes { name monitors(first: 5) { nodes { id } } } } }',
        );
      expect(response.status).toBe(200);
    });
    // As many as the hot path and the query need (the token; on PostgreSQL the budget's charge;
    // the page, its count, the monitors of its boards in one batch), none of a transaction or a
    // setting of the deadline's.
    const hotPath = TEST_DB === 'postgres' ? 2 : 1;
    expect(viewer).toHaveLength(hotPath);
    expect(page).toHaveLength(hotPath + 3);
    for (const sql of [...viewer, ...page]) {
      expect(sql).not.toMatch(/^(BEGIN|START|SET|COMMIT)|statement_timeout|pg_cancel/i);
    }
  });
});
