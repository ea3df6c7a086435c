import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Database as SqliteConnection } from 'sqlite3';
import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { TestApp } from '../helpers/test-app';

const HOLD_MS = 1500;

/**
 * Holds the database's write lock from a connection of its own — as the CLI or another instance
 * would — for `HOLD_MS`, then releases it. Resolves once the lock is held.
 */
async function holdWriteLock(app: TestApp): Promise<{ released: Promise<number> }> {
  const config = app.database.config;
  if (config.type === 'sqlite') {
    const other = new SqliteConnection(config.path);
    const run = (sql: string) =>
      new Promise<void>((done, fail) => other.run(sql, (error) => (error ? fail(error) : done())));
    await run('BEGIN IMMEDIATE');
    const released = new Promise<void>((done) => setTimeout(done, HOLD_MS))
      .then(() => run('COMMIT'))
      .then(() => Date.now())
      .finally(() => new Promise<void>((done) => other.close(() => done())));
    return { released };
  }
  const other = new Client({ connectionString: config.url });
  await other.connect();
  await other.query('BEGIN');
  await other.query('LOCK TABLE audit_event IN EXCLUSIVE MODE');
  const released = new Promise<void>((done) => setTimeout(done, HOLD_MS))
    .then(() => other.query('COMMIT'))
    .then(() => Date.now())
    .finally(() => other.end());
  return { released };
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
    const finishedAt: number[] = [];
    const [results, readDuringLock] = await Promise.all([
      Promise.all(
        // Fewer than PostgreSQL's pool of 10 connections, so one is left for the read.
        Array.from({ length: 8 }, async (_, i) => {
          const result = await app.execute<{ createBoard: { id: string } }>(
            secret,
            'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
            { name: `Waiting board ${i}` },
          );
          finishedAt.push(Date.now());
          return result;
        }),
      ),
      // Reads go on meanwhile (WAL on SQLite; MVCC on PostgreSQL) and finish before the release.
      app
        .execute(secret, '{ boards(first: 5) { totalCount } }')
        .then((result) => ({ result, at: Date.now() })),
    ]);
    const releasedAt = await lock.released;
    expect(readDuringLock.result.errors).toBeUndefined();
    expect(readDuringLock.at).toBeLessThan(releasedAt);
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    // Every mutation waited for the lock instead of failing fast with SQLITE_BUSY / a lock error.
    expect(Math.min(...finishedAt)).toBeGreaterThanOrEqual(releasedAt - 20);
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
