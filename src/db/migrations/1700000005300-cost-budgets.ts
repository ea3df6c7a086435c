import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The table of the per-token cost budgets shared by instances on PostgreSQL (limits/cost-budget.ts). */
export const COST_BUDGET_TABLE = 'cost_budget';

/**
 * One row per token that has spent points: what its bucket held at `updated_at` (epoch
 * milliseconds), so every instance refills and charges the same bucket in one statement.
 * SQLite serves one instance and keeps budgets in memory: it gets no table.
 */
export class CostBudgets1700000005300 implements MigrationInterface {
  name = 'CostBudgets1700000005300';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') {
      return;
    }
    await queryRunner.createTable(
      new Table({
        name: COST_BUDGET_TABLE,
        columns: [
          { name: 'token_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'available', type: 'double precision' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.dropTable(COST_BUDGET_TABLE);
    }
  }
}
