import type { Clock } from '../../src/core/clock';
import { ManualClock } from './clock';
import type { LimitsConfig } from '../../src/core/config';
import { type GraphQLResponse, HttpClient } from './http-client';
import { metricSamples } from './metrics';

/** What the rate-limit tests share: the SQLite-able file and the PostgreSQL-only one. */

export const VIEWER = '{ viewer { permission } }';
export const RATE_LIMIT_HEADERS = [
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
] as const;

/**
 * The budgets' clock in these tests, made when a test starts: it stands still, so a spent budget
 * stays spent, at the real time, so tokens that expired a minute ago are expired by it too.
 */
export const frozenClock = (): Clock => new ManualClock();

/**
 * Limits for one test: the default timeout; the counters are the test's business. A request
 * costs 1 point besides what it reads, so a bucket of 5 is five `{ viewer }` requests.
 */
export const limits = (overrides: Partial<LimitsConfig>): Partial<LimitsConfig> => ({
  costBucketSize: 1_000_000,
  costRestoreRate: 1,
  costPerRequest: 1,
  authFailuresPerMinute: 1_000_000,
  ...overrides,
});

/** The counters a 429 or a 401 moves, in one object, so a failure shows them all. */
export async function refusalCounters(url: string) {
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

export type Counters = Awaited<ReturnType<typeof refusalCounters>>;

export function difference(before: Counters, after: Counters): Counters {
  return Object.fromEntries(
    Object.entries(after).map(([key, value]) => [key, value - before[key as keyof Counters]]),
  ) as Counters;
}

export const NO_CHANGE: Counters = {
  rateLimitedToken: 0,
  rateLimitedAddress: 0,
  authenticationFailures: 0,
  unknownTokens: 0,
  requestsRateLimited: 0,
  requestsUnauthenticated: 0,
};

/** The budget in points; it refills at 1 point a second, so it is full after `limit - remaining` s. */
export function expectQuotaHeaders(
  response: GraphQLResponse,
  limit: number,
  remaining: number,
): void {
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

export function expectNoQuotaHeaders(response: GraphQLResponse): void {
  for (const name of RATE_LIMIT_HEADERS) {
    expect({ name, value: response.headers.get(name) }).toEqual({ name, value: null });
  }
}

/** 429 RATE_LIMITED as a JSON body, with a Retry-After of 1–60 seconds. */
export function expectRateLimited(response: GraphQLResponse, message: RegExp): number {
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
export class ForwardedClient extends HttpClient {
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

export const TOKEN_LIMITED =
  /estimated cost is 1 points and this token has 0 left; retry after 1 s/;
export const ADDRESS_BLOCKED =
  /Too many requests with a missing or invalid token from this address/;
