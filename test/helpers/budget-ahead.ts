import type { CostReport } from '../../src/limits/cost-budget';
import type { GraphQLResponse } from './http-client';
import { frozenClock, limits } from './rate-limit-checks';
import { TestApp } from './test-app';
import { TEST_DB } from './test-database';

/**
 * What the tests of points taken ahead with the token look-up share (budget-ahead.test.ts on
 * both databases, budget-ahead.postgres.test.ts staged on a locked row): one bucket, a clock that
 * stands still so no refill blurs the figures, and a document whose cost the test chooses.
 */
export const BUCKET = 1000;

/** `boards(first: $n)` on an organization without boards: estimated by n, reads nothing. */
export const BOARDS = 'query($n: Int!) { boards(first: $n) { nodes { id } } }';

export const startBudgetApp = () =>
  TestApp.start({
    limits: limits({ costBucketSize: BUCKET, costRestoreRate: 1 }),
    clock: frozenClock(),
  });

export const costOf = (response: GraphQLResponse): CostReport =>
  (JSON.parse(response.text) as { extensions: { cost: CostReport } }).extensions.cost;

/**
 * What a token's bucket holds where every instance reads it: the shared row on PostgreSQL
 * (points owed back in this instance's memory not counted; a token without a row has a full
 * bucket); on SQLite, with one instance, what the token may spend.
 */
export async function storedBudget(app: TestApp, tokenId: string): Promise<number> {
  if (TEST_DB !== 'postgres') {
    return app.services.costBudget.available(tokenId);
  }
  const rows = (await app.services.db.dataSource.query(
    'SELECT available FROM cost_budget WHERE token_id = $1',
    [tokenId],
  )) as { available: number }[];
  return rows.length === 0 ? BUCKET : Number(rows[0].available);
}
