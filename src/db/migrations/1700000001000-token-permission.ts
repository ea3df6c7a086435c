import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Permission levels. Every token that exists already keeps doing what it always did: it becomes
 * FULL_ACCESS. New tokens get their permission from code, always chosen explicitly; the column
 * default exists only to backfill (SQLite cannot add a NOT NULL column without one).
 */
export class TokenPermission1700000001000 implements MigrationInterface {
  name = 'TokenPermission1700000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'api_token',
      new TableColumn({
        name: 'permission',
        type: 'varchar',
        length: '16',
        isNullable: false,
        default: "'FULL_ACCESS'",
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('api_token', 'permission');
  }
}
