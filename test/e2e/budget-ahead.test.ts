import { BOARDS, BUCKET, costOf, startBudgetApp, storedBudget } from '../helpers/budget-ahead';
import type { HttpClient } from '../helpers/http-client';
import { everyStatementOf } from '../helpers/statements';
import type { TestApp } from '../helpers/test-app';
import { TEST_DB } from '../helpers/test-database';
import { until } from '../helpers/wait';

/**
 * On PostgreSQL a request's points are taken ahead, in its token look-up's statement: what the
 * same document cost last time, for the token the same secret authenticated last time
 * (limits/cost-budget.ts `ahead`). The figures must be those of a reservation made once the
 * operation is known: a document that now costs more takes the rest or is refused with nothing
 * charged, and a request that ends before its operation is known is charged nothing. On SQLite
 * nothing is taken ahead (the budget costs no statement there); the figures are the same. The
 * clock stands still: no refill blurs them.
 */
describe(`points taken ahead with the token look-up (${TEST_DB})`, () => {
  let app: TestApp;
  let tokenId: string;

  beforeEach(async () => {
    app = await startBudgetApp();
    tokenId = app.identities.readOnly.token.id;
  });
  afterEach(() => app.close());

  async function cost(client: HttpClient, n: number) {
    const response = await client.request(BOARDS, { n });
    return { status: response.status, cost: costOf(response) };
  }

  const available = () => app.services.costBudget.available(tokenId);
  const stored = () => storedBudget(app, tokenId);

  it('a repeated document is charged its actual cost, in the look-up statement on PostgreSQL', async () => {
    const client = app.asReadOnly();
    const first = await cost(client, 10);
    let charged = first.cost.actualQueryCost;
    expect(await available()).toBe(BUCKET - charged);
    for (let i = 0; i < 3; i += 1) {
      let again: Awaited<ReturnType<typeof cost>> | undefined;
      const statements = await everyStatementOf(app.services.db, async () => {
        again = await cost(client, 10);
      });
      charged += again?.cost.actualQueryCost ?? NaN;
      expect(again?.status).toBe(200);
      expect(again?.cost.requestedQueryCost).toBe(first.cost.requestedQueryCost);
      expect(again?.cost.throttleStatus.currentlyAvailable).toBe(BUCKET - charged);
      expect(await available()).toBe(BUCKET - charged);
      // The token look-up (its budget take along on PostgreSQL) and the boards' read.
      const budget = statements.filter((sql) => /cost_budget/.test(sql));
      expect(budget).toHaveLength(TEST_DB === 'postgres' ? 1 : 0);
      expect(budget.every((sql) => /"api_token"/.test(sql))).toBe(true);
    }
  });

  it('a document that costs more this time takes the rest, less gives back, too much is refused', async () => {
    const client = app.asReadOnly();
    const first = await cost(client, 10);
    let left = BUCKET - first.cost.actualQueryCost;
    const base = first.cost.requestedQueryCost - 10;

    // Taken ahead: what it cost last time (n = 10); the rest is reserved once it is known.
    const more = await cost(client, 300);
    expect(more.status).toBe(200);
    expect(more.cost.requestedQueryCost).toBe(base + 300);
    left -= more.cost.actualQueryCost;
    expect(more.cost.throttleStatus.currentlyAvailable).toBe(left);
    expect(await available()).toBe(left);

    // Taken ahead: 300's; what it did not need is given back before it runs, to the shared row
    // (only what it reserved beyond what it read is owed back in memory, as for any request).
    const less = await cost(client, 5);
    expect(less.status).toBe(200);
    left -= less.cost.actualQueryCost;
    expect(less.cost.throttleStatus.currentlyAvailable).toBe(left);
    expect(await available()).toBe(left);
    const owed = less.cost.requestedQueryCost - less.cost.actualQueryCost;
    expect(await stored()).toBe(TEST_DB === 'postgres' ? left - owed : left);

    // One point more than is left: refused, nothing charged, what was taken ahead given back.
    const refused = await cost(client, left - base + 1);
    expect(refused.status).toBe(429);
    expect(refused.cost.requestedQueryCost).toBe(left + 1);
    expect(refused.cost.throttleStatus.currentlyAvailable).toBe(left);
    expect(await available()).toBe(left);

    const fits = await cost(client, left - base);
    expect(fits.status).toBe(200);
    expect(fits.cost.requestedQueryCost).toBe(left);
    expect(await available()).toBe(left - fits.cost.actualQueryCost);
  });

  it('a request Apollo refuses before its operation is known is charged nothing', async () => {
    const client = app.asReadOnly();
    await cost(client, 10);
    await cost(client, 10);
    // What the last request reserved beyond its cost is owed back in memory until the next take.
    const before = await available();
    // The same document (so points are taken ahead), its variables not an object.
    const response = await fetch(client.endpoint, {
      method: 'POST',
      headers: client.headers(),
      body: JSON.stringify({ query: BOARDS, variables: '{"n": 10}' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/variables/);
    // Given back to the shared bucket (once the response is over), with what was owed: no
    // instance counts anything against the token.
    await until(async () => (await stored()) === before, 'the points taken ahead to come back');
    expect(await available()).toBe(before);
  });

  it('a token switched off after its last request is refused and keeps its points', async () => {
    const client = app.asReadOnly();
    await cost(client, 10);
    const before = await available();
    const admin = app.asFullAccess();
    await admin.data('mutation($id: ID!) { deactivateApiToken(id: $id) { id } }', { id: tokenId });

    const refused = await client.request(BOARDS, { n: 10 });
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.reason).toBe('INACTIVE');
    expect(await available()).toBe(before);
    expect(await stored()).toBe(before);

    await admin.data('mutation($id: ID!) { activateApiToken(id: $id) { id } }', { id: tokenId });
    const again = await cost(client, 10);
    expect(again.status).toBe(200);
    expect(again.cost.throttleStatus.currentlyAvailable).toBe(before - again.cost.actualQueryCost);
  });

  it("another token's request of the same document does not move what is taken from this one", async () => {
    const client = app.asReadOnly();
    const first = await cost(client, 10);
    let left = BUCKET - first.cost.actualQueryCost;
    // Another organization's token sends the same text, costing far more.
    const other = await app.otherOrganization();
    expect((await cost(app.client(other.identity.secret), 900)).status).toBe(200);

    const again = await cost(client, 10);
    left -= again.cost.actualQueryCost;
    expect(again.cost.throttleStatus.currentlyAvailable).toBe(left);
    // Nothing was taken from the shared bucket but its own reservation, of which what it did not
    // read is owed back in memory (as for any request).
    const owed = again.cost.requestedQueryCost - again.cost.actualQueryCost;
    expect(await stored()).toBe(TEST_DB === 'postgres' ? left - owed : left);
  });
});
