import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';
import { columns } from './column-types';

/**
 * Board-scoped tokens (API.md section 11). `api_token.board_scoped` says whether a token is
 * limited to boards at all; `api_token_board` lists them. The flag, not the list, tells the two
 * apart, so that a token whose last board was deleted keeps its (empty) limit and never widens to
 * every board. Every token that exists already stays organization-wide: the default backfills it.
 */
export class TokenBoardScope1700000005016 implements MigrationInterface {
  name = 'TokenBoardScope1700000005016';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    await queryRunner.addColumn(
      'api_token',
      new TableColumn({ ...c.boolean('board_scoped'), isNullable: false, default: false }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_token_board',
        columns: [
          { ...c.id('token_id'), isPrimary: true },
          { ...c.id('board_id'), isPrimary: true },
        ],
        foreignKeys: [
          {
            columnNames: ['token_id'],
            referencedTableName: 'api_token',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['board_id'],
            referencedTableName: 'board',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        // A board's deletion finds the tokens limited to it.
        indices: [{ name: 'IDX_api_token_board_board', columnNames: ['board_id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_token_board');
    await queryRunner.dropColumn('api_token', 'board_scoped');
  }
}
