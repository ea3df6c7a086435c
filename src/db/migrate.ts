import type { Database } from './database';

/** Any constant shared by every instance: the key of the migration lock on PostgreSQL. */
const MIGRATION_LOCK_KEY = 7_406_319_012;

/**
 * Runs pending migrations, each in its own transaction. TypeORM takes no lock around them, so
 * on PostgreSQL, where several instances may start at the same moment, a session-level advisory
 * lock makes them take turns: the second finds nothing left to do.
 */
export async function migrate(db: Database): Promise<void> {
  if (db.isSqlite) {
    await db.dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = db.dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await db.dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

/** Names of migrations not yet applied; also proves the database answers. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const applied: { name: string }[] = await db.reader.query('SELECT name FROM migrations');
  const names = new Set(applied.map((row) => row.name));
  return db.dataSource.migrations
    .map((m) => m.name ?? m.constructor.name)
    .filter((name) => !names.has(name));
}
