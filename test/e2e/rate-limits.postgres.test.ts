import type { LimitsConfig } from '../../src/core/config';
import { generateSecret } from '../../src/tokens/secret';
import { HttpClient } from '../helpers/http-client';
import { type Instance, startInstance } from '../helpers/instance';
import {
  ADDRESS_BLOCKED,
  difference,
  expectQuotaHeaders,
  expectRateLimited,
  frozenClock,
  limits,
  NO_CHANGE,
  refusalCounters,
  TOKEN_LIMITED,
  VIEWER,
} from '../helpers/rate-limit-checks';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

/**
 * The `database` store: one budget shared by every instance on one PostgreSQL database. A
 * *.postgres.test.ts file, run under `npm run test:postgres` only: the shared counters exist only
 * there. Two Services on one schema are two clients of the database, like two processes.
 */
describe('two instances on one PostgreSQL schema', () => {
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

  async function pair(store: LimitsConfig['store']): Promise<[Instance, Instance, string]> {
    const instanceLimits = limits({ store, costBucketSize: 6 });
    // One after the other: the first migrates the schema.
    const clock = frozenClock();
    const a = await startInstance(database.config, instanceLimits, [], clock);
    instances.push(a);
    const b = await startInstance(database.config, instanceLimits, [], clock);
    instances.push(b);
    expect(a.services.limits.store).toBe(store);
    const { secret } = await a.services.organizations.create('Shared quota', 'test.setup');
    return [a, b, secret];
  }

  it('with the database store they share one budget: 3 requests to each, then the 7th anywhere is 429', async () => {
    const [a, b, secret] = await pair('database');
    const onA = new HttpClient(`${a.url}/graphql`, secret);
    const onB = new HttpClient(`${b.url}/graphql`, secret);
    let remaining = 6;
    for (let i = 0; i < 3; i++) {
      for (const client of [onA, onB]) {
        const response = await client.request(VIEWER);
        expect(response.status).toBe(200);
        expectQuotaHeaders(response, 6, --remaining);
      }
    }
    for (const [client, instance] of [
      [onA, a],
      [onB, b],
    ] as const) {
      const before = await refusalCounters(instance.url);
      expectRateLimited(await client.request(VIEWER), TOKEN_LIMITED);
      expect(difference(before, await refusalCounters(instance.url))).toEqual({
        ...NO_CHANGE,
        rateLimitedToken: 1,
        requestsRateLimited: 1,
      });
    }
  });

  it('concurrent requests on both instances (database store): exactly 6 of 20 pass', async () => {
    const [a, b, secret] = await pair('database');
    const clients = [a, b].map((instance) => new HttpClient(`${instance.url}/graphql`, secret));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => clients[i % 2].request(VIEWER)),
    );
    // Each reports the bucket as it is once it settles, after others may have reserved too.
    const passed = responses.filter((response) => response.status === 200);
    expect(passed).toHaveLength(6);
    for (const response of passed) {
      expect(Number(response.headers.get('ratelimit-remaining'))).toBeLessThanOrEqual(5);
    }
    for (const response of responses.filter((r) => r.status !== 200)) {
      expectRateLimited(response, TOKEN_LIMITED);
    }
    // Settled: each charged its 1 point, no more and no less, on one shared bucket.
    for (const client of clients) {
      const after = await client.request(VIEWER);
      expectRateLimited(after, TOKEN_LIMITED);
      expectQuotaHeaders(after, 6, 0);
    }
  });

  it('with the memory store each instance counts alone (6 requests on each)', async () => {
    const [a, b, secret] = await pair('memory');
    for (const instance of [a, b]) {
      const client = new HttpClient(`${instance.url}/graphql`, secret);
      for (let i = 0; i < 6; i++) {
        expect((await client.request(VIEWER)).status).toBe(200);
      }
      expectRateLimited(await client.request(VIEWER), TOKEN_LIMITED);
    }
  });

  it('failed authentications from one address are shared too (database store)', async () => {
    const a = await startInstance(database.config, limits({ authFailuresPerMinute: 3 }));
    instances.push(a);
    const b = await startInstance(database.config, limits({ authFailuresPerMinute: 3 }));
    instances.push(b);
    expect(a.services.limits.store).toBe('database');
    for (const instance of [a, b, a]) {
      const response = await new HttpClient(`${instance.url}/graphql`, generateSecret()).request(
        VIEWER,
      );
      expect(response.status).toBe(401);
    }
    for (const instance of [a, b]) {
      expectRateLimited(
        await new HttpClient(`${instance.url}/graphql`, generateSecret()).request(VIEWER),
        ADDRESS_BLOCKED,
      );
    }
  });
});
