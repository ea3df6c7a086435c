import { Board } from '../../src/boards/board.entity';
import { ConfigError, resolveLimits } from '../../src/core/config';
import { generateSecret } from '../../src/tokens/secret';
import { HttpClient } from '../helpers/http-client';
import { TestApp } from '../helpers/test-app';
import {
  ADDRESS_BLOCKED,
  NO_CHANGE,
  TOKEN_LIMITED,
  VIEWER,
  difference,
  expectNoQuotaHeaders,
  expectQuotaHeaders,
  expectQuotaSpent,
  expectRateLimited,
  limits,
  refusalCounters,
} from '../helpers/rate-limit-checks';

/**
 * Rate limits over real HTTP: requests per token per minute (RateLimit-* headers, 429 with
 * Retry-After once used up), failed authentications per client address per minute (429 before
 * the token is even looked up), both counted in metrics. The quota shared by every instance on
 * one PostgreSQL database (the `database` store) is in rate-limits.postgres.test.ts.
 */

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

describe('requests per token', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start({ limits: limits({ requestsPerMinute: 5 }) });
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
    expect(refused.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect(difference(before, await refusalCounters(app.url))).toEqual({
      ...NO_CHANGE,
      rateLimitedToken: 1,
      requestsRateLimited: 1,
    });
    // Still refused: a refusal does not start a new window.
    expectRateLimited(await reader.request(VIEWER), TOKEN_LIMITED);
  });

  it('twenty concurrent requests with a limit of 5: exactly five pass, each remaining count once', async () => {
    const reader = app.asReadOnly();
    const responses = await Promise.all(Array.from({ length: 20 }, () => reader.request(VIEWER)));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(5);
    expectQuotaSpent(responses, 5);
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

  it('a refused mutation changes nothing', async () => {
    const full = app.asFullAccess();
    for (let i = 0; i < 5; i++) {
      expect((await full.request(VIEWER)).status).toBe(200);
    }
    const refused = await full.request('mutation { createBoard(input: { name: "late" }) { id } }');
    expectRateLimited(refused, TOKEN_LIMITED);
    expect(await app.services.db.reader.countBy(Board, { name: 'late' })).toBe(0);
  });

  it('errors after authentication carry the headers too (and count): a validation error, a FORBIDDEN mutation', async () => {
    const reader = app.asReadOnly();
    const invalid = await reader.request('{ viewer { nope } }');
    expect(invalid.status).toBe(400);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expectQuotaHeaders(invalid, 5, 4);

    const forbidden = await reader.request(
      'mutation { createBoard(input: { name: "not allowed" }) { id } }',
    );
    expect(forbidden.status).toBe(200);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expectQuotaHeaders(forbidden, 5, 3);

    const unparsable = await reader.request('{ viewer { ');
    expect(unparsable.status).toBe(400);
    expect(unparsable.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expectQuotaHeaders(unparsable, 5, 2);
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
