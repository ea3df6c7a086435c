import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * `audit_event.count`: how many denials one event stands for (1 for every ordinary event; more
 * for the folded denials past a token's per-minute allowance), and an index on `at` for the
 * retention purge, which deletes by age across organizations.
 */
export class AuditEventCount1700000005014 implements MigrationInterface {
  name = 'AuditEventCount1700000005014';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'audit_event',
      new TableColumn({ name: 'count', type: 'integer', default: 1 }),
    );
    await queryRunner.createIndex(
      'audit_event',
      new TableIndex({ name: 'IDX_audit_event_at', columnNames: ['at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('audit_event', 'IDX_audit_event_at');
    await queryRunner.dropColumn('audit_event', 'count');
  }
}
