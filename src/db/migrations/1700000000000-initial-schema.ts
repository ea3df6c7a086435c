import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columns } from './column-types';

/**
 * The schema as it was before permission levels: tokens have no permission column and every
 * token could do everything. Kept as it shipped so that old databases migrate forward.
 */
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'organization',
        columns: [c.primaryId(), c.text('name', 100), c.timestamp('created_at')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_token',
        columns: [
          c.primaryId(),
          c.id('organization_id'),
          c.text('name', 100),
          c.text('prefix', 12),
          c.text('secret_hash', 64),
          c.text('previous_secret_hash', 64, true),
          c.timestamp('previous_secret_expires_at', true),
          c.boolean('active'),
          c.timestamp('expires_at', true),
          c.timestamp('created_at'),
          c.timestamp('revoked_at', true),
          c.timestamp('last_used_at', true),
          c.text('last_used_ip', 64, true),
          c.text('last_used_user_agent', 512, true),
          c.timestamp('last_write_at', true),
        ],
        foreignKeys: [
          {
            columnNames: ['organization_id'],
            referencedTableName: 'organization',
            referencedColumnNames: ['id'],
          },
        ],
        uniques: [{ name: 'UQ_api_token_secret_hash', columnNames: ['secret_hash'] }],
        indices: [
          {
            name: 'IDX_api_token_org_created',
            columnNames: ['organization_id', 'created_at', 'id'],
          },
          { name: 'IDX_api_token_previous_secret', columnNames: ['previous_secret_hash'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'board',
        columns: [
          c.primaryId(),
          c.id('organization_id'),
          c.text('name', 100),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        foreignKeys: [
          {
            columnNames: ['organization_id'],
            referencedTableName: 'organization',
            referencedColumnNames: ['id'],
          },
        ],
        indices: [
          { name: 'IDX_board_org_created', columnNames: ['organization_id', 'created_at', 'id'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_event',
        columns: [
          c.primaryId(),
          c.id('organization_id'),
          c.timestamp('at'),
          c.text('action', 64),
          c.text('outcome', 16),
          c.text('token_id', 36, true),
          c.text('token_name', 100, true),
          c.text('token_prefix', 12, true),
          c.text('target_type', 32, true),
          c.text('target_id', 64, true),
          c.text('ip', 64, true),
        ],
        foreignKeys: [
          {
            columnNames: ['organization_id'],
            referencedTableName: 'organization',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
    await queryRunner.createIndex(
      'audit_event',
      new TableIndex({
        name: 'IDX_audit_event_org_at',
        columnNames: ['organization_id', 'at', 'id'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['audit_event', 'board', 'api_token', 'organization']) {
      await queryRunner.dropTable(table);
    }
  }
}
