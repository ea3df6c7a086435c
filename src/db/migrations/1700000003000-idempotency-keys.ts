import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { columns } from './column-types';

/**
 * Idempotency keys of mutations, per token: the request a key stands for and, once executed, its
 * response. Rows expire after 24 hours; the index on `expires_at` serves the purge.
 */
export class IdempotencyKeys1700000003000 implements MigrationInterface {
  name = 'IdempotencyKeys1700000003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_key',
        columns: [
          { ...c.id('token_id'), isPrimary: true },
          { ...c.text('key', 255), isPrimary: true },
          c.text('request_hash', 64),
          c.id('request_id'),
          c.text('state', 16),
          { name: 'response_status', type: 'integer', isNullable: true },
          { name: 'response_body', type: 'text', isNullable: true },
          c.timestamp('created_at'),
          c.timestamp('expires_at'),
        ],
        foreignKeys: [
          {
            columnNames: ['token_id'],
            referencedTableName: 'api_token',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [{ name: 'IDX_idempotency_key_expires', columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('idempotency_key');
  }
}
