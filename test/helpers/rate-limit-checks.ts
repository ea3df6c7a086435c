import type { LimitsConfig } from '../../src/core/config';
import type { GraphQLResponse } from './http-client';
import { metricSamples } from './metrics';

/**
 * What the rate-limit tests share (test/e2e/rate-limits.test.ts on either database,
 * rate-limits.postgres.test.ts for the quota shared by instances): limits, the counters a
 * refusal moves, and the checks of a 429 and of the RateLimit-* headers.
 */

export const VIEWER = '{ viewer { permission } }';
const RATE_LIMIT_HEADERS = [
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
] as const;

/** Limits for one test: the default timeout; the counters are the test's business. */
export const limits = (overrides: Partial<LimitsConfig>): Partial<LimitsConfig> => ({
  requestsPerMinute: 1_000_000,
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

export function expectQuotaHeaders(
  response: GraphQLResponse,
  limit: number,
  remaining: number,
): void {
  expect({
    limit: response.headers.get('ratelimit-limit'),
    remaining: response.headers.get('ratelimit-remaining'),
    policy: response.headers.get('ratelimit-policy'),
  }).toEqual({ limit: String(limit), remaining: String(remaining), policy: `${limit};w=60` });
  const reset = Number(response.headers.get('ratelimit-reset'));
  expect(Number.isInteger(reset)).toBe(true);
  expect(reset).toBeGreaterThanOrEqual(1);
  expect(reset).toBeLessThanOrEqual(60);
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

export const TOKEN_LIMITED = /This token has sent \d+ requests in the last minute/;
export const ADDRESS_BLOCKED =
  /Too many requests with a missing or invalid token from this address/;

/**
 * Concurrent requests on a fresh quota of `quota` (fewer than 10): the ones that passed saw each
 * remaining count from quota-1 down to 0 once, and every other one got 429 for its token.
 */
export function expectQuotaSpent(responses: GraphQLResponse[], quota: number): void {
  const passed = responses.filter((response) => response.status === 200);
  expect(passed.map((r) => r.headers.get('ratelimit-remaining')).sort()).toEqual(
    Array.from({ length: quota }, (_, i) => String(i)),
  );
  for (const response of responses.filter((r) => r.status !== 200)) {
    expectRateLimited(response, TOKEN_LIMITED);
  }
}
