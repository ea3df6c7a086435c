import { request } from 'node:http';
import { BOARDS, costOf, startBudgetApp, storedBudget } from '../helpers/budget-ahead';
import type { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * Two findings of a hostile-client probe of the points taken ahead with the token look-up, each
 * staged by holding the token's budget row locked so that look-ups wait on it:
 * - a client that leaves while its look-up waits: the response was already closed when
 *   authentication returned, so the listener that gives the points back on close came too late
 *   (Apollo refused the body before any plugin hook could);
 * - concurrent requests that each took a part ahead, then each needed a rest the others held:
 *   all were refused, though the budget held one.
 */
describe('points taken ahead, staged on a locked budget row (PostgreSQL)', () => {
  let app: TestApp;
  let tokenId: string;

  beforeEach(async () => {
    app = await startBudgetApp();
    tokenId = app.identities.readOnly.token.id;
  });
  afterEach(() => app.close());

  const stored = () => storedBudget(app, tokenId);

  const connections = () =>
    new Promise<number>((resolve, reject) =>
      app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );

  /**
   * Runs `send` while the token's budget row is locked, until `waiting` statements wait for the
   * row, then `beforeRelease`; then lets them go.
   */
  async function whileLocked<T>(
    waiting: number,
    send: () => T,
    beforeRelease: (sent: T) => Promise<void> = async () => undefined,
  ): Promise<T> {
    const holder = app.services.db.dataSource.createQueryRunner();
    await holder.startTransaction();
    try {
      await holder.query('SELECT 1 FROM cost_budget WHERE token_id = $1 FOR UPDATE', [tokenId]);
      const sent = send();
      await until(async () => {
        const [row] = (await app.services.db.dataSource.query(
          'SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted',
        )) as { waiting: number }[];
        return row.waiting >= waiting;
      }, 'the look-ups to wait for the budget row');
      await beforeRelease(sent);
      return sent;
    } finally {
      await holder.commitTransaction();
      await holder.release();
    }
  }

  it('a client that leaves while its look-up waits gets back what the look-up took', async () => {
    const client = app.asReadOnly();
    // Seen twice: the document's cost and the secret's token are known, so points go ahead.
    await client.data(BOARDS, { n: 10 });
    await client.data(BOARDS, { n: 10 });
    // What the last request reserved beyond its cost is owed back in memory until the next take.
    const before = await app.services.costBudget.available(tokenId);
    const idle = await connections();
    await whileLocked(
      1,
      () => {
        // Its own connection; the body (variables as a string) is one Apollo refuses before any
        // plugin hook, so only the close can give the points back.
        const sent = request(`${app.url}/graphql`, {
          method: 'POST',
          agent: false,
          headers: client.headers(),
        });
        sent.on('error', () => undefined);
        sent.end(JSON.stringify({ query: BOARDS, variables: '{"n": 10}' }));
        return sent;
      },
      async (sent) => {
        sent.destroy();
        await until(
          async () => (await connections()) <= idle,
          'the server to see the client leave',
        );
      },
    );
    await until(async () => (await stored()) === before, 'the points to come back');
    expect(await app.services.costBudget.available(tokenId)).toBe(before);
  });

  it('of concurrent requests that each took a part ahead, one at least gets through', async () => {
    const client = app.asReadOnly();
    const guess = costOf(await client.request(BOARDS, { n: 10 })).requestedQueryCost;
    const left = await app.services.costBudget.available(tokenId);
    // Each takes `guess` ahead (all three fit), then needs the rest of a request estimated at
    // what is left less a guess: no rest fits while the other two hold their parts.
    const n = left - guess - (guess - 10);
    const sent = await whileLocked(3, () => [0, 1, 2].map(() => client.request(BOARDS, { n })));
    const answers = await Promise.all(sent);
    expect(answers.map((answer) => answer.status).every((s) => s === 200 || s === 429)).toBe(true);
    const served = answers.filter((answer) => answer.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(1);
    const spent = served.reduce((sum, answer) => sum + costOf(answer).actualQueryCost, 0);
    expect(await app.services.costBudget.available(tokenId)).toBe(left - spent);
  });
});
