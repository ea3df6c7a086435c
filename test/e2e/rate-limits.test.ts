import { Board } from '../../src/boards/board.entity';
import { ConfigError, resolveLimits } from '../../src/core/config';
import { generateSecret } from '../../src/tokens/secret';
import {
  ADDRESS_BLOCKED,
  difference,
  expectNoQuotaHeaders,
  expectQuotaHeaders,
  expectRateLimited,
  ForwardedClient,
  frozenClock,
  limits,
  NO_CHANGE,
  refusalCounters,
  TOKEN_LIMITED,
  VIEWER,
} from '../helpers/rate-limit-checks';
import { TestApp } from '../helpers/test-app';

/**
 * Rate limits over real HTTP: a token's cost budget (RateLimit-* headers in points, 429 with
 * Retry-After once spent; `{ viewer }` costs the base, set to 1 point here, and the budgets' clock stands
 * still, so nothing refills during a test), failed authentications per client address per
 * minute (429 before the token is even looked up), both counted in metrics. The budget shared by
 * instances on one PostgreSQL database: rate-limits.postgres.test.ts.
 */

describe('a cost budget per token', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start({ limits: limits({ costBucketSize: 5 }), clock: frozenClock() });
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

  it('a refused mutation changes nothing: over the whole budget (createBoard’s own work alone is 8) it is QUERY_TOO_COSTLY', async () => {
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
