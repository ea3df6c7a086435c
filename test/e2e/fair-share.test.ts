import { DEFAULT_LIMITS } from '../../src/core/config';
import type { CostReport } from '../../src/limits/cost-budget';
import type { Timer } from '../../src/limits/fair-scheduler';
import { insertStatusFixture } from '../helpers/status-fixture';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9's fair share over real HTTP, by order of service, never by timing: while one
 * token's expensive queries queue behind busy slots, another token's small query and a mutation
 * are answered; the queued ones run once the slots free; waiting is bounded (a timer the test
 * fires).
 */

/** Lets the server's pending callbacks run until `done()` holds (a state, not a duration). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('a fair share', () => {
  let app: TestApp;
  const timers: (() => void)[] = [];
  const timer: Timer = (_ms, fire) => {
    timers.push(fire);
    return () => timers.splice(timers.indexOf(fire), 1);
  };

  beforeEach(async () => {
    app = await TestApp.start({ timer });
    await insertStatusFixture(app, {
      boards: 20,
      monitorsPerBoard: 1,
      eventsPerMonitor: 1,
      incidents: 5,
      updatesPerIncident: 1,
    });
  });
  afterEach(() => app.close());

  // 1 + 1001 points read: over the cheap lane's 1000.
  const EXPENSIVE = '{ boards(first: 1000) { nodes { id name } } }';
  const SMALL = '{ incidents(first: 5) { nodes { id name } } }';

  /** Takes every slot of the expensive lane, as long-running pages of others would. */
  async function occupyExpensiveLane(): Promise<() => void> {
    const { slots, expensiveSlots = slots } = app.services.scheduler.settings;
    const ends = await Promise.all(
      Array.from({ length: expensiveSlots }, () =>
        app.services.scheduler.start('someone else', 1e9),
      ),
    );
    return () => ends.forEach((end) => end());
  }

  it('a small query and a mutation of other tokens are answered while one token’s expensive queries queue', async () => {
    const free = await occupyExpensiveLane();
    const answered: string[] = [];
    const expensive = Array.from({ length: 3 }, (_, i) =>
      app
        .asReadOnly()
        .request<{ boards: { nodes: unknown[] } }>(EXPENSIVE)
        .then((response) => {
          answered.push(`expensive ${i}`);
          return response;
        }),
    );
    await until(() => app.services.scheduler.waiting === 3);

    const small = await app.client(app.identities.full.secret).request(SMALL);
    expect(small.status).toBe(200);
    expect(small.errors).toBeUndefined();
    const other = await app.otherOrganization();
    const mutation = await app
      .client(other.identity.secret)
      .request('mutation { createBoard(input: { name: "Not behind queries" }) { id } }');
    expect(mutation.status).toBe(200);
    expect(mutation.errors).toBeUndefined();
    expect(answered).toEqual([]);
    expect(app.services.scheduler.waiting).toBe(3);

    free();
    for (const response of await Promise.all(expensive)) {
      expect(response.status).toBe(200);
      expect(response.data?.boards.nodes).toHaveLength(20);
    }
    expect(answered).toHaveLength(3);
  });

  it('the lane follows what a query reads, not the base every request pays', async () => {
    const free = await occupyExpensiveLane();
    // 1 + 901 points read: cheap, though its requested cost, base included, is over 1000.
    const READS_902 = '{ boards(first: 900) { nodes { id } } }';
    let answered: Awaited<ReturnType<ReturnType<TestApp['asReadOnly']>['request']>> | undefined;
    const pending = app
      .asReadOnly()
      .request(READS_902)
      .then((response) => (answered = response));
    await until(() => answered !== undefined || app.services.scheduler.waiting > 0);
    const waited = app.services.scheduler.waiting;
    free();
    await pending;
    expect(waited).toBe(0);
    const cost = (JSON.parse(answered?.text ?? '{}') as { extensions: { cost: CostReport } })
      .extensions.cost;
    expect(cost.requestedQueryCost).toBe(DEFAULT_LIMITS.costPerRequest + 902);
    expect(cost.requestedQueryCost).toBeGreaterThan(DEFAULT_LIMITS.cheapQueryCost);
  });

  it('a query that cannot start within QUERY_TIMEOUT_MS: 503 QUERY_TIMEOUT with Retry-After, nothing run', async () => {
    const free = await occupyExpensiveLane();
    const refused = app.asReadOnly().request(EXPENSIVE);
    await until(() => app.services.scheduler.waiting === 1);
    timers.splice(0).forEach((fire) => fire());
    const response = await refused;
    expect(response.status).toBe(503);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.extensions?.code).toBe('QUERY_TIMEOUT');
    expect(response.errors?.[0]?.message).toMatch(/could not start within 30 s/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Charged the base alone: it read nothing.
    const body = JSON.parse(response.text) as { extensions: { cost: { actualQueryCost: number } } };
    expect(body.extensions.cost.actualQueryCost).toBe(DEFAULT_LIMITS.costPerRequest);
    free();
  });
});
