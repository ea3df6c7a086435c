import type { MigrationInterface, QueryRunner } from 'typeorm';
import { COST_BUDGET_TABLE } from './1700000005300-cost-budgets';

/** The function that charges a token's shared bucket (limits/cost-budget.ts). */
export const COST_BUDGET_TAKE = 'cost_budget_take';

/**
 * One charge of a token's bucket as a function, so that it can ride along with another
 * statement: authentication's token look-up takes a request's points in its own statement
 * (a data-modifying statement cannot be a subquery; a function call can). It refills the bucket
 * to `p_now` at `p_rate` points a second (at most `p_size`), gives back `p_carried`, and takes
 * `p_points` if the bucket then holds them, all in one row update: what the bucket holds after,
 * or NULL when it does not hold them (nothing changed). A token's first charge makes its row. The
 * statement that calls it commits without waiting for its WAL flush (`synchronous_commit` off
 * for that transaction only): a budget is a pace, not a record. PL/pgSQL keeps the plan of its
 * statement per connection. SQLite keeps budgets in memory: it gets no function.
 */
export class CostBudgetTake1700000005400 implements MigrationInterface {
  name = 'CostBudgetTake1700000005400';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') {
      return;
    }
    const level =
      'LEAST(p_size, LEAST(p_size, b.available + GREATEST(0, p_now - b.updated_at) / 1000.0 * p_rate) + p_carried)';
    await queryRunner.query(`
      CREATE FUNCTION ${COST_BUDGET_TAKE}(p_token varchar, p_size float8, p_points float8,
        p_now bigint, p_rate float8, p_carried float8) RETURNS float8
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        held float8;
      BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        INSERT INTO ${COST_BUDGET_TABLE} AS b (token_id, available, updated_at)
          VALUES (p_token, LEAST(p_size, p_size + p_carried) - p_points, p_now)
          ON CONFLICT (token_id) DO UPDATE SET available = ${level} - p_points,
            updated_at = GREATEST(b.updated_at, p_now)
          WHERE ${level} >= p_points
          RETURNING b.available INTO held;
        RETURN held;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query(
        `DROP FUNCTION ${COST_BUDGET_TAKE}(varchar, float8, float8, bigint, float8, float8)`,
      );
    }
  }
}
