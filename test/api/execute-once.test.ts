import { insertStatusFixture } from '../helpers/status-fixture';
import { statementsOf } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9, "a query executes once": a query that meets an error (a denied field, a bad
 * argument) runs its statements once, and its errors read as graphql-js writes them. Statements
 * are counted by an observing TypeORM logger, as in query-count.test.ts.
 */
describe('a query executes once', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
    await insertStatusFixture(app, {
      boards: 4,
      monitorsPerBoard: 3,
      eventsPerMonitor: 2,
      incidents: 40,
      updatesPerIncident: 2,
    });
  }, 60_000);
  afterAll(() => app.close());

  async function run(secret: string, query: string, variables?: Record<string, unknown>) {
    const contextValue = await app.contextFor(secret);
    await app.services.lastUse.flush();
    let result: {
      data?: unknown;
      errors?: readonly { message: string; path?: unknown; extensions?: Record<string, unknown> }[];
    } = {};
    const statements = await statementsOf(app.services.db, async () => {
      const response = await app.apollo.executeOperation({ query, variables }, { contextValue });
      if (response.body.kind !== 'single') {
        throw new Error('expected a single result');
      }
      result = response.body.singleResult;
    });
    return { ...result, statements };
  }

  const PAGE = `incidents(first: 40) { nodes { id board { name } monitors { displayName } updates { message } } }
    boards { nodes { name monitors { nodes { displayName } } } }`;

  it('a READ_ONLY token selecting viewer { token { lastUsedIp } }: FORBIDDEN there, the statements run once', async () => {
    const clean = await run(app.identities.readOnly.secret, `{ ${PAGE} }`);
    expect(clean.errors).toBeUndefined();
    const denied = await run(
      app.identities.readOnly.secret,
      `{ ${PAGE} viewer { token { id lastUsedIp } } }`,
    );
    expect(denied.errors).toHaveLength(1);
    expect(denied.errors?.[0]).toMatchObject({
      path: ['viewer', 'token', 'lastUsedIp'],
      extensions: { code: 'FORBIDDEN', requiredPermission: 'FULL_ACCESS' },
    });
    expect(denied.data).toMatchObject({
      viewer: { token: { id: app.identities.readOnly.token.id, lastUsedIp: null } },
    });
    expect((denied.data as { incidents: { nodes: unknown[] } }).incidents.nodes).toHaveLength(40);
    expect(clean.statements.length).toBeGreaterThan(3);
    // The same statements, once each (on PostgreSQL's pool, in any order).
    expect([...denied.statements].sort()).toEqual([...clean.statements].sort());
  });

  it('a bad argument deep in a query (a malformed cursor under each board): BAD_USER_INPUT, statements once', async () => {
    const query = `{ boards { nodes { name monitors(after: "nope") { nodes { id } } } } }`;
    const result = await run(app.identities.readOnly.secret, query);
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^after must be an endCursor/);
    }
    const boardsOnly = await run(app.identities.readOnly.secret, '{ boards { nodes { name } } }');
    // The boards' page once; the malformed cursor is refused before any monitor is read.
    expect([...result.statements].sort()).toEqual([...boardsOnly.statements].sort());
  });
});
