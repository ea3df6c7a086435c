import type { CostReport } from '../../src/limits/cost-budget';
import type { HttpClient } from '../helpers/http-client';
import { frozenClock, limits } from '../helpers/rate-limit-checks';
import { everyStatementOf } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * What a request reserved beyond its actual cost is owed back to its token at once and written
 * by the token's next reserve, in that reserve's own statement (API.md section 9: one statement
 * for the budget per request). The clock stands still: no refill blurs the figures.
 */
describe('a give-back rides on the next reserve', () => {
  const BUCKET = 1000;
  let app: TestApp;

  beforeEach(async () => {
    app = await TestApp.start({
      limits: limits({ costBucketSize: BUCKET, costRestoreRate: 1 }),
      clock: frozenClock(),
    });
  });
  afterEach(() => app.close());

  /** `boards(first: n)` on an organization without boards: estimated by n, reads nothing. */
  const boards = (n: number) => `{ boards(first: ${n}) { nodes { id } } }`;

  async function cost(client: HttpClient, query: string) {
    const response = await client.request(query);
    const body = JSON.parse(response.text) as { extensions: { cost: CostReport } };
    return { status: response.status, cost: body.extensions.cost };
  }

  it('the next request may spend what the previous one gave back, and pays one statement for it', async () => {
    const client = app.asReadOnly();
    const first = await cost(client, boards(100));
    expect(first.status).toBe(200);
    const { requestedQueryCost: requested, actualQueryCost: actual } = first.cost;
    expect(requested).toBeGreaterThan(actual);
    const tokenId = app.identities.readOnly.token.id;
    expect(await app.services.costBudget.available(tokenId)).toBe(BUCKET - actual);

    // Estimated at exactly what is left once the give-back is counted; without it, refused.
    const all = BUCKET - actual;
    let second: Awaited<ReturnType<typeof cost>> | undefined;
    const statements = await everyStatementOf(app.services.db, async () => {
      second = await cost(client, boards(100 + all - requested));
    });
    expect(second?.status).toBe(200);
    expect(second?.cost.requestedQueryCost).toBe(all);
    expect(second?.cost.throttleStatus.currentlyAvailable).toBe(
      BUCKET - actual - (second?.cost.actualQueryCost ?? NaN),
    );
    // The boards' read, the token look-up and the budget's one statement (none on SQLite).
    expect(statements.length).toBeLessThanOrEqual(3);
  });

  it('a refused request leaves the give-back owed, and says it is available', async () => {
    const client = app.asReadOnly();
    const first = await cost(client, boards(100));
    const { requestedQueryCost: requested, actualQueryCost: actual } = first.cost;
    const refused = await cost(client, boards(100 + BUCKET - actual - requested + 1));
    expect(refused.status).toBe(429);
    expect(refused.cost.throttleStatus.currentlyAvailable).toBe(BUCKET - actual);
    const tokenId = app.identities.readOnly.token.id;
    expect(await app.services.costBudget.available(tokenId)).toBe(BUCKET - actual);
    const fits = await cost(client, boards(100 + BUCKET - actual - requested));
    expect(fits.status).toBe(200);
  });
});
