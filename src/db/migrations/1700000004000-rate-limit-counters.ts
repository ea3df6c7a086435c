import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

// The name the table shipped with, written out: a shipped migration must not follow a constant of
// live code (limits/rate-limits.ts), which may change after it has run.
const RATE_LIMIT_TABLE = 'rate_limit_counter';

/**
 * The counters rate-limiter-flexible keeps in PostgreSQL when several instances share the
 * limits: its own layout (key, points, expiry in epoch milliseconds), made here instead of by the
 * library at run time. SQLite serves one instance and counts in memory: it gets no table.
 */
export class RateLimitCounters1700000004000 implements MigrationInterface {
  name = 'RateLimitCounters1700000004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') {
      return;
    }
    await queryRunner.createTable(
      new Table({
        name: RATE_LIMIT_TABLE,
        columns: [
          { name: 'key', type: 'varchar', length: '255', isPrimary: true },
          { name: 'points', type: 'integer', default: 0 },
          { name: 'expire', type: 'bigint', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.dropTable(RATE_LIMIT_TABLE);
    }
  }
}
