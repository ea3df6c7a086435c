import { TestApp } from '../helpers/test-app';
import { TEST_DB } from '../helpers/test-database';

/**
 * The budget's upsert commits without waiting for its WAL flush (cost-budget.ts), for its own
 * transaction only: every connection of the pool, which TypeORM's writes share, keeps
 * `synchronous_commit = on`. Run under `npm run test:postgres`.
 */
describe('the budget upsert’s asynchronous commit', () => {
  let app: TestApp;
  beforeAll(async () => {
    expect(TEST_DB).toBe('postgres');
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  it('charges the shared bucket and leaves no connection with synchronous_commit off', async () => {
    const client = app.asReadOnly();
    await Promise.all(Array.from({ length: 20 }, () => client.data('{ viewer { permission } }')));
    const pool = app.services.db.postgresPool;
    if (pool === null) {
      throw new Error('PostgreSQL expected');
    }
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM cost_budget');
    expect(Number(rows[0].n)).toBe(1);
    // As many at once as the pool holds: each answer comes from a connection the charges used.
    const settings = await Promise.all(
      Array.from({ length: 10 }, () =>
        pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit'),
      ),
    );
    expect(settings.map((result) => result.rows[0].synchronous_commit)).toEqual(
      Array(10).fill('on'),
    );
  });
});
