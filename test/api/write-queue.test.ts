import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Database as SqliteConnection } from 'sqlite3';
import type { AbstractSqliteDriver } from 'typeorm/driver/sqlite-abstract/AbstractSqliteDriver';
import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * Holds the database's write lock from a connection of its own — as the CLI or another instance
 * would — until `release`. Resolves once the lock is held.
 */
async function holdWriteLock(app: TestApp): Promise<{ release: () => Promise<void> }> {
  const config = app.database.config;
  if (config.type === 'sqlite') {
    const other = new SqliteConnection(config.path);
    const run = (sql: string) =>
      new Promise<void>((done, fail) => other.run(sql, (error) => (error ? fail(error) : done())));
    await run('BEGIN IMMEDIATE');
    return {
      release: () =>
        run('COMMIT').finally(() => new Promise<void>((done) => other.close(() => done()))),
    };
  }
  const other = new Client({ connectionString: config.url });
  await other.connect();
  await other.query('BEGIN');
  await other.query('LOCK TABLE audit_event IN EXCLUSIVE MODE');
  return {
    release: async () => {
      try {
        await other.query('COMMIT');
      } finally {
        await other.end();
      }
    },
  };
}

/**
 * Whether a mutation of the app is waiting on that lock: on PostgreSQL a request for a lock on
 * this schema's audit_event not granted (pg_locks); on SQLite the app's one write connection inside a transaction, whose
 * first write is what waits for the lock.
 */
async function aWriteIsWaiting(app: TestApp): Promise<boolean> {
  const { dataSource } = app.services.db;
  if (app.database.config.type === 'sqlite') {
    return (dataSource.driver as AbstractSqliteDriver).queryRunner?.isTransactionActive ?? false;
  }
  const [{ waiting }]: { waiting: number }[] = await dataSource.query(
    `SELECT count(*)::int AS waiting FROM pg_locks
     WHERE NOT granted AND relation = 'audit_event'::regclass`,
  );
  return waiting > 0;
}

describe('the SQLite write queue', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  it('runs 50 concurrent mutations without sharing or breaking a transaction', async () => {
    const secret = app.identities.full.secret;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.execute<{ createBoard: { id: string } }>(
          secret,
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name: `Board ${i}` },
        ),
      ),
    );
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const ids = results.map((r) => r.data?.createBoard.id);
    expect(new Set(ids).size).toBe(50);

    const boards = await app.services.db.reader.findBy(Board, {
      organizationId: app.organization.id,
    });
    expect(boards.map((b) => b.id).sort()).toEqual([...ids].sort());
    const events = await app.services.db.reader.findBy(AuditEvent, { action: 'createBoard' });
    expect(events).toHaveLength(50);
    expect(events.every((e) => e.outcome === AuditOutcome.SUCCEEDED)).toBe(true);
    expect(events.map((e) => e.targetId).sort()).toEqual([...ids].sort());
  });

  it('rolls back only the failing transactions when writes interleave', async () => {
    const secret = app.identities.full.secret;
    // Every third request fails inside its transaction (the board to delete does not exist).
    const mixed = await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        i % 3 === 0
          ? app.execute(secret, 'mutation { deleteBoard(id: "missing") }')
          : app.execute(
              secret,
              'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
              {
                name: `Board ${i}`,
              },
            ),
      ),
    );
    const failed = mixed.filter((r) => r.errors?.length);
    expect(failed).toHaveLength(7);
    expect(failed.every((r) => r.errors?.[0].extensions?.code === 'NOT_FOUND')).toBe(true);
    const { reader } = app.services.db;
    expect(await reader.countBy(Board, { organizationId: app.organization.id })).toBe(14);
    expect(
      await reader.countBy(AuditEvent, { action: 'createBoard', outcome: AuditOutcome.SUCCEEDED }),
    ).toBe(14);
    expect(
      await reader.countBy(AuditEvent, { action: 'deleteBoard', outcome: AuditOutcome.FAILED }),
    ).toBe(7);
  });

  it('makes mutations wait, not fail, while another connection holds the write lock', async () => {
    const secret = app.identities.full.secret;
    const lock = await holdWriteLock(app);
    let released = false;
    const finishedWhileHeld: boolean[] = [];
    const mutations = Promise.all(
      // Fewer than PostgreSQL's pool of 10 connections, so one is left for the read.
      Array.from({ length: 8 }, async (_, i) => {
        const result = await app.execute<{ createBoard: { id: string } }>(
          secret,
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name: `Waiting board ${i}` },
        );
        finishedWhileHeld.push(!released);
        return result;
      }),
    );
    // Reads go on meanwhile (WAL on SQLite; MVCC on PostgreSQL), answered while the lock is held.
    const readDuringLock = await app.execute(secret, '{ boards(first: 5) { totalCount } }');
    expect(readDuringLock.errors).toBeUndefined();
    expect(readDuringLock.data).toEqual({ boards: { totalCount: 0 } });
    // Released only once a mutation is waiting on the lock, so it had its chance to fail fast.
    await until(() => aWriteIsWaiting(app), 'a mutation waiting on the lock');
    expect(finishedWhileHeld).toEqual([]);
    released = true;
    await lock.release();
    const results = await mutations;
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    // Every mutation waited for the lock instead of failing fast with SQLITE_BUSY / a lock error.
    expect(finishedWhileHeld).toEqual(Array.from({ length: 8 }, () => false));
    const { reader } = app.services.db;
    expect(await reader.countBy(Board, { organizationId: app.organization.id })).toBe(8);
    expect(
      await reader.countBy(AuditEvent, { action: 'createBoard', outcome: AuditOutcome.SUCCEEDED }),
    ).toBe(8);
  });

  it('never lets a read see the rows of a write that is still open, nor after it rolls back', async () => {
    const secret = app.identities.full.secret;
    const boardNames = async () => {
      const result = await app.execute<{ boards: { nodes: { name: string }[] } }>(
        secret,
        '{ boards(first: 100) { nodes { name } } }',
      );
      expect(result.errors).toBeUndefined();
      return result.data?.boards.nodes.map((b) => b.name);
    };
    let namesDuringWrite: string[] | undefined;
    const write = app.services.db.write(async (manager) => {
      const now = app.services.db.now();
      await manager.insert(Board, {
        id: randomUUID(),
        organizationId: app.organization.id,
        name: 'Never committed',
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      });
      // On SQLite this read would share the writer's connection, and so its open transaction.
      namesDuringWrite = await boardNames();
      throw new Error('roll back');
    });
    await expect(write).rejects.toThrow('roll back');
    expect(namesDuringWrite).toEqual([]);
    expect(await boardNames()).toEqual([]);
  });
});
