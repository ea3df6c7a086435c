import { generateSecret } from '../../src/tokens/secret';
import { type GraphQLResponse, HttpClient } from '../helpers/http-client';
import { type Instance, startInstance } from '../helpers/instance';
import { ADDRESS_BLOCKED, expectRateLimited, limits, VIEWER } from '../helpers/rate-limit-checks';
import { everyStatementOf } from '../helpers/statements';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

/**
 * On PostgreSQL an address's failure count rides along the token look-up (issue 17): an
 * instance that never saw the failures still refuses the blocked address, valid token or not,
 * from the values its look-up read, in that one statement (besides giving back the budget's points
 * the look-up took along). Run under `npm run test:postgres`.
 */
describe('the address check read along the token look-up', () => {
  let database: TestDatabase;
  const instances: Instance[] = [];

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
  });
  afterEach(async () => {
    for (const instance of instances.splice(0)) {
      await instance.close();
    }
    await database.drop();
  });

  it('failures on one instance block a valid token on another, with its look-up alone', async () => {
    const a = await startInstance(database.config, limits({ authFailuresPerMinute: 3 }));
    instances.push(a);
    const b = await startInstance(database.config, limits({ authFailuresPerMinute: 3 }));
    instances.push(b);
    const { secret } = await a.services.organizations.create('Blocked', 'test.setup');
    const onB = new HttpClient(`${b.url}/graphql`, secret);
    expect((await onB.request(VIEWER)).status).toBe(200);
    await b.services.lastUse.flush();

    for (let i = 0; i < 3; i++) {
      const guess = new HttpClient(`${a.url}/graphql`, generateSecret());
      expect((await guess.request(VIEWER)).status).toBe(401);
    }
    let refused: GraphQLResponse | undefined;
    const statements = await everyStatementOf(b.services.db, async () => {
      refused = await onB.request(VIEWER);
    });
    expect(refused).toBeDefined();
    expectRateLimited(refused as GraphQLResponse, ADDRESS_BLOCKED);
    // The look-up read the failures along; the only other statement gives back the points it
    // took ahead for the token (its document was seen on B): a refused request is charged
    // nothing, on every instance.
    const [lookUp, ...rest] = statements;
    expect(lookUp).toMatch(/rate_limit_counter/);
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatch(/^UPDATE cost_budget\b/);

    // From then on B knows: refused before any statement.
    const again = await everyStatementOf(b.services.db, async () => {
      expectRateLimited(await onB.request(VIEWER), ADDRESS_BLOCKED);
    });
    expect(again).toEqual([]);
  });
});
