import type { Clock } from '../../src/core/clock';
import { Board } from '../../src/boards/board.entity';
import { ConfigError, type LimitsConfig, resolveLimits } from '../../src/core/config';
import { generateSecret } from '../../src/tokens/secret';
import { type GraphQLResponse, HttpClient } from '../helpers/http-client';
import { TestApp } from '../helpers/test-app';
import {
  type TestDatabase,
  createTestDatabase,
  describeWithPostgres,
} from '../helpers/test-database';
import { type Instance, startInstance } from '../helpers/instance';
import { metricSamples } from '../helpers/metrics';

/**
 * Rate limits over real HTTP: a token's cost budget (RateLimit-* headers in points, 429 with
 * Retry-After once spent; `{ viewer }` costs the minimum, 1 point, and the budgets' clock stands
 * still, so nothing refills during a test), failed authentications per client address per
 * minute (429 before the token is even looked up), both counted in metrics; and, with the
 * `database` store, one budget shared by every instance on one PostgreSQL database.
 */

const VIEWER = '{ viewer { permission } }';
const RATE_LIMIT_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const;

/** The budgets' clock in these tests: it never moves, so a spent budget stays spent. */
const FROZEN: Clock = { now: () => new Date('2026-03-01T00:00:00.000Z') };

/** Limits for one test: the default timeout; the counters are the test's business. */
const limits = (overrides: Partial<LimitsConfig>): Partial<LimitsConfig> => ({
  costBucketSize: 1_000_000,
  costRestoreRate: 1,
  authFailuresPerMinute: 1_000_000,
  ...overrides,
});

/** The counters a 429 or a 401 moves, in one object, so a failure shows them all. */
async function refusalCounters(url: string) {
  const rateLimited = await metricSamples(url, 'statusgraph_rate_limited_total');
  const failures = await metricSamples(url, 'statusgraph_authentication_failures_total');
  const requests = await metricSamples(url, 'statusgraph_http_requests_total');
  const sum = (map: Map<string, number>, part: string) =>
    [...map].filter(([labels]) => labels.includes(part)).reduce((n, [, v]) => n + v, 0);
  return {
    rateLimitedToken: rateLimited.get('{limit="token"}') ?? 0,
    rateLimitedAddress: rateLimited.get('{limit="address"}') ?? 0,
    authenticationFailures: [...failures.values()].reduce((n, v) => n + v, 0),
    unknownTokens: failures.get('{reason="UNKNOWN"}') ?? 0,
    requestsRateLimited: sum(requests, 'outcome="RATE_LIMITED"'),
    requestsUnauthenticated: sum(requests, 'outcome="UNAUTHENTICATED"'),
  };
}

type Counters = Awaited<ReturnType<typeof refusalCounters>>;

function difference(before: Counters, after: Counters): Counters {
  return Object.fromEntries(
    Object.entries(after).map(([key, value]) => [key, value - before[key as keyof Counters]]),
  ) as Counters;
}

const NO_CHANGE: Counters = {
  rateLimitedToken: 0,
  rateLimitedAddress: 0,
  authenticationFailures: 0,
  unknownTokens: 0,
  requestsRateLimited: 0,
  requestsUnauthenticated: 0,
};

/** The budget in points; it refills at 1 point a second, so it is full after `limit - remaining` s. */
function expectQuotaHeaders(response: GraphQLResponse, limit: number, remaining: number): void {
  expect({
    limit: response.headers.get('ratelimit-limit'),
    remaining: response.headers.get('ratelimit-remaining'),
    reset: response.headers.get('ratelimit-reset'),
  }).toEqual({
    limit: String(limit),
    remaining: String(remaining),
    reset: String(limit - remaining),
  });
}

function expectNoQuotaHeaders(response: GraphQLResponse): void {
  for (const name of RATE_LIMIT_HEADERS) {
    expect({ name, value: response.headers.get(name) }).toEqual({ name, value: null });
  }
}

/** 429 RATE_LIMITED as a JSON body, with a Retry-After of 1–60 seconds. */
function expectRateLimited(response: GraphQLResponse, message: RegExp): number {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/json/);
  expect(response.data).toBeUndefined();
  expect(response.errors).toHaveLength(1);
  expect(response.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(response.errors?.[0]?.message).toMatch(message);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.errors?.[0]?.extensions?.retryAfterSeconds).toBe(retryAfter);
  return retryAfter;
}

/** A client behind a load balancer: X-Forwarded-For names its address. */
class ForwardedClient extends HttpClient {
  constructor(
    endpoint: string,
    secret: string,
    private readonly address: string,
  ) {
    super(endpoint, secret);
  }

  override headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...super.headers(extra), 'x-forwarded-for': this.address };
  }
}

const TOKEN_LIMITED = /estimated cost is 1 points and this token has 0 left; retry after 1 s/;
const ADDRESS_BLOCKED = /Too many requests with a missing or invalid token from this address/;

describe('a cost budget per token', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start({ limits: limits({ costBucketSize: 5 }), clock: FROZEN });
  });
  afterEach(() => app.close());

  it('five requests pass with RateLimit-* headers counting down; the sixth gets 429 with Retry-After', async () => {
    const reader = app.asReadOnly();
    for (const remaining of [4, 3, 2, 1, 0]) {
      const response = await reader.request(VIEWER);
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ viewer: { permission: 'READ_ONLY' } });
      expectQuotaHeaders(response, 5, remaining);
    }
    const before = await refusalCounters(app.url);
    const refused = await reader.request(VIEWER);
    const retryAfter = expectRateLimited(refused, TOKEN_LIMITED);
    expectQuotaHeaders(refused, 5, 0);
    expect(retryAfter).toBe(1);
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect(difference(before, await refusalCounters(app.url))).toEqual({
      ...NO_CHANGE,
      rateLimitedToken: 1,
      requestsRateLimited: 1,
    });
    // Still refused: time has not moved, and a refusal is charged nothing.
    expectRateLimited(await reader.request(VIEWER), TOKEN_LIMITED);
  });

  it('twenty concurrent requests with a budget of 5: exactly five pass, each remaining count once', async () => {
    const reader = app.asReadOnly();
    const responses = await Promise.all(Array.from({ length: 20 }, () => reader.request(VIEWER)));
    const passed = responses.filter((response) => response.status === 200);
    expect(passed).toHaveLength(5);
    expect(passed.map((r) => r.headers.get('ratelimit-remaining')).sort()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    for (const response of responses.filter((r) => r.status !== 200)) {
      expectRateLimited(response, TOKEN_LIMITED);
    }
  });

  it('a refused token does not affect another token of the same organization and address', async () => {
    const reader = app.asReadOnly();
    for (let i = 0; i < 5; i++) {
      expect((await reader.request(VIEWER)).status).toBe(200);
    }
    expectRateLimited(await reader.request(VIEWER), TOKEN_LIMITED);

    const other = await app.asFullAccess().request(VIEWER);
    expect(other.status).toBe(200);
    expect(other.data).toEqual({ viewer: { permission: 'FULL_ACCESS' } });
    expectQuotaHeaders(other, 5, 4);
  });

  it('a refused mutation changes nothing: over the whole budget (a mutation costs 10) it is QUERY_TOO_COSTLY', async () => {
    const refused = await app
      .asFullAccess()
      .request('mutation { createBoard(input: { name: "late" }) { id } }');
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    expectQuotaHeaders(refused, 5, 5);
    expect(await app.services.db.reader.countBy(Board, { name: 'late' })).toBe(0);
  });

  it('an operation with a FORBIDDEN field is charged and carries the headers; one that never reaches cost analysis (invalid, unparsable) is not', async () => {
    const reader = app.asReadOnly();
    const forbidden = await reader.request('{ viewer { token { id lastUsedIp } } }');
    expect(forbidden.status).toBe(200);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expectQuotaHeaders(forbidden, 5, 4);

    const invalid = await reader.request('{ viewer { nope } }');
    expect(invalid.status).toBe(400);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expectNoQuotaHeaders(invalid);

    const unparsable = await reader.request('{ viewer { ');
    expect(unparsable.status).toBe(400);
    expect(unparsable.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expectNoQuotaHeaders(unparsable);

    expectQuotaHeaders(await reader.request(VIEWER), 5, 3);
  });

  it('401 responses carry no RateLimit-* headers', async () => {
    for (const client of [
      app.asAnonymous(),
      app.client('not-a-token'),
      app.client(generateSecret()),
      app.asExpired(),
      app.asRevoked(),
    ]) {
      const response = await client.request(VIEWER);
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expectNoQuotaHeaders(response);
    }
  });
});

describe('failed authentications per client address', () => {
  let app: TestApp;
  afterEach(() => app.close());

  /** A client whose address, through the trusted loopback proxy, is `address`. */
  const from = (address: string, secret: string) =>
    new ForwardedClient(`${app.url}/graphql`, secret, address);

  it('three bad tokens get 401, the fourth request 429, and no RateLimit-* quota headers', async () => {
    app = await TestApp.start({ limits: limits({ authFailuresPerMinute: 3 }) });
    const before = await refusalCounters(app.url);
    for (const client of [app.client('sgp_wrong'), app.asAnonymous(), app.asRevoked()]) {
      const response = await client.request(VIEWER);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    const refused = await app.client(generateSecret()).request(VIEWER);
    expectRateLimited(refused, ADDRESS_BLOCKED);
    expectNoQuotaHeaders(refused);
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect(difference(before, await refusalCounters(app.url))).toEqual({
      ...NO_CHANGE,
      authenticationFailures: 3,
      requestsUnauthenticated: 3,
      rateLimitedAddress: 1,
      requestsRateLimited: 1,
    });
  });

  it('the 429 comes before the token is looked up: a well-formed unknown secret is not counted as UNKNOWN', async () => {
    app = await TestApp.start({ limits: limits({ authFailuresPerMinute: 3 }) });
    for (let i = 0; i < 3; i++) {
      expect((await app.client(generateSecret()).request(VIEWER)).status).toBe(401);
    }
    const before = await refusalCounters(app.url);
    for (let i = 0; i < 5; i++) {
      expectRateLimited(await app.client(generateSecret()).request(VIEWER), ADDRESS_BLOCKED);
    }
    // Authentication never ran: no failure of any reason was counted, UNKNOWN included.
    expect(difference(before, await refusalCounters(app.url))).toEqual({
      ...NO_CHANGE,
      rateLimitedAddress: 5,
      requestsRateLimited: 5,
    });
  });

  it('then a VALID token from that address is refused too (429): the address is blocked, not the token, so a guesser cannot slip in between guesses', async () => {
    app = await TestApp.start({ limits: limits({ authFailuresPerMinute: 3 }) });
    for (let i = 0; i < 3; i++) {
      expect((await app.client(generateSecret()).request(VIEWER)).status).toBe(401);
    }
    const refused = await app.asFullAccess().request(VIEWER);
    expectRateLimited(refused, ADDRESS_BLOCKED);
    expectNoQuotaHeaders(refused);
  });

  it('another client address (X-Forwarded-For through a trusted proxy) is not blocked', async () => {
    app = await TestApp.start({
      trustedProxies: ['loopback'],
      limits: limits({ authFailuresPerMinute: 3 }),
    });
    const guesser = '203.0.113.66';
    const neighbour = '198.51.100.7';
    for (let i = 0; i < 3; i++) {
      expect((await from(guesser, generateSecret()).request(VIEWER)).status).toBe(401);
    }
    expectRateLimited(
      await from(guesser, app.identities.full.secret).request(VIEWER),
      ADDRESS_BLOCKED,
    );

    const ok = await from(neighbour, app.identities.full.secret).request(VIEWER);
    expect(ok.status).toBe(200);
    expect(ok.data).toEqual({ viewer: { permission: 'FULL_ACCESS' } });
    // The neighbour's own failures count from zero.
    for (let i = 0; i < 3; i++) {
      expect((await from(neighbour, generateSecret()).request(VIEWER)).status).toBe(401);
    }
    expectRateLimited(await from(neighbour, generateSecret()).request(VIEWER), ADDRESS_BLOCKED);
  });

  // The count is read before the look-up and written after it, so guesses already in flight when
  // the limit is reached still get their look-up (a burst overshoots by at most its own width);
  // from then on every guess is refused before the database. A 178-bit secret is not guessed in a
  // few extra tries; the limit is about speed, and speed stays bounded.
  it('fifty concurrent guesses with a limit of 3: most never reach the token look-up', async () => {
    app = await TestApp.start({ limits: limits({ authFailuresPerMinute: 3 }) });
    const before = await refusalCounters(app.url);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => app.client(generateSecret()).request(VIEWER)),
    );
    const statuses = responses.map((response) => response.status);
    const change = difference(before, await refusalCounters(app.url));
    const unauthenticated = statuses.filter((status) => status === 401).length;
    const rateLimited = statuses.filter((status) => status === 429).length;
    expect(unauthenticated + rateLimited).toBe(50);
    expect(unauthenticated).toBeGreaterThanOrEqual(3);
    expect(unauthenticated).toBeLessThan(25);
    expect(change.unknownTokens).toBe(unauthenticated);
    // Afterwards the address is blocked outright, valid token or not.
    expectRateLimited(
      await app.client(app.identities.full.secret).request(VIEWER),
      ADDRESS_BLOCKED,
    );
    expect(difference(before, await refusalCounters(app.url)).unknownTokens).toBe(unauthenticated);
  });

  it('successful requests do not count as failures', async () => {
    app = await TestApp.start({ limits: limits({ authFailuresPerMinute: 3 }) });
    for (let i = 0; i < 2; i++) {
      expect((await app.client(generateSecret()).request(VIEWER)).status).toBe(401);
    }
    for (let i = 0; i < 10; i++) {
      expect((await app.asReadOnly().request(VIEWER)).status).toBe(200);
    }
    expect((await app.client(generateSecret()).request(VIEWER)).status).toBe(401);
    expectRateLimited(await app.asReadOnly().request(VIEWER), ADDRESS_BLOCKED);
  });
});

/**
 * Only under `npm run test:postgres` (as multi-instance.test.ts): the shared
 * counters exist only there. Two Services on one schema are two clients of the database, like
 * two processes.
 */
describeWithPostgres('two instances on one PostgreSQL schema', () => {
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
    const a = await startInstance(database.config, instanceLimits, [], FROZEN);
    instances.push(a);
    const b = await startInstance(database.config, instanceLimits, [], FROZEN);
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

describe('the store setting', () => {
  it('the database store needs PostgreSQL: refused for SQLite before anything opens', () => {
    expect(() =>
      resolveLimits({
        database: { type: 'sqlite', path: '/tmp/x.sqlite' },
        limits: { store: 'database' },
      }),
    ).toThrow(ConfigError);
    expect(() =>
      resolveLimits({
        database: { type: 'sqlite', path: '/tmp/x.sqlite' },
        limits: { store: 'database' },
      }),
    ).toThrow(/RATE_LIMIT_STORE=database needs a PostgreSQL DATABASE_URL/);
  });
});
