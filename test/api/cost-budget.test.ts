import { getIntrospectionQuery } from 'graphql';
import { DEFAULT_LIMITS } from '../../src/core/config';
import type { CostReport } from '../../src/limits/cost-budget';
import { insertStatusFixture } from '../helpers/status-fixture';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9 through real requests (executeOperation): what an operation is estimated to
 * cost before it runs, what it is counted to cost while it runs, and the budget of its token —
 * with a clock the test moves, never waits for.
 */

/** COST_PER_REQUEST's default: every request costs it besides what it reads. */
const BASE = DEFAULT_LIMITS.costPerRequest;

interface Response<T = Record<string, unknown>> {
  status: number | undefined;
  headers: Map<string, string>;
  data?: T | null;
  errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  cost?: CostReport;
}

async function run<T = Record<string, unknown>>(
  app: TestApp,
  secret: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Response<T>> {
  const response = await app.apollo.executeOperation(
    { query, variables },
    { contextValue: await app.contextFor(secret) },
  );
  if (response.body.kind !== 'single') {
    throw new Error('expected a single result');
  }
  const result = response.body.singleResult;
  return {
    status: response.http.status,
    headers: new Map(response.http.headers),
    data: result.data as T | null | undefined,
    errors: result.errors,
    cost: result.extensions?.cost as CostReport | undefined,
  };
}

/** Queries of every list and nested field, each run once: requested ≥ actual for every one. */
const CATALOGUE: [string, string][] = [
  ['boards', '{ boards(first: 20) { totalCount nodes { id name } pageInfo { hasNextPage } } }'],
  [
    'boards with nested monitors and incidents',
    `{ boards(first: 20) { nodes { id
        monitors(first: 10) { totalCount nodes { id statusEvents(first: 3) { totalCount nodes { status } } } }
        incidents(first: 10) { totalCount edges { cursor node { id updates { id } } } } } } }`,
  ],
  [
    'the BI page',
    `{ incidents(first: 1000) { totalCount edges { cursor node {
        id name details severity phase startedAt resolvedAt willStartAt willEndAt createdAt updatedAt
        board { id name } updates { id message phase createdAt }
        monitors { id displayName monitorType status paused host url serviceName checkIntervalMinutes
          lastCheckedAt createdAt updatedAt board { id name } } } } pageInfo { hasNextPage endCursor } } }`,
  ],
  [
    'first: 0 and totalCount under every board',
    '{ boards(first: 1000) { nodes { a: monitors(first: 0) { totalCount } b: incidents(first: 0) { totalCount } } } }',
  ],
  [
    'status events with their monitors',
    '{ statusEvents(first: 100) { nodes { status monitor { id board { name } } } } }',
  ],
  ['monitors with their boards', '{ monitors(first: 1000) { nodes { id board { name } } } }'],
  [
    'monitors with their uptime',
    '{ monitors(first: 1000) { nodes { id uptime(since: "2026-01-01T00:00:00.000Z") { upPercent } } } }',
  ],
  [
    'tokens and audit events',
    '{ apiTokens { nodes { id } } auditEvents { totalCount nodes { id } } }',
  ],
];

describe('cost: estimated before, counted during', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
    await insertStatusFixture(app, {
      boards: 12,
      monitorsPerBoard: 5,
      eventsPerMonitor: 4,
      incidents: 300,
      updatesPerIncident: 3,
    });
  }, 60_000);
  afterAll(() => app.close());

  it.each(CATALOGUE)(
    '%s: requested ≥ actual > 0, both in extensions.cost',
    async (_name, query) => {
      const response = await run(app, app.identities.readOnly.secret, query);
      expect(response.errors).toBeUndefined();
      expect(response.cost).toBeDefined();
      const cost = response.cost as CostReport;
      expect(cost.actualQueryCost).toBeGreaterThan(0);
      expect(cost.requestedQueryCost).toBeGreaterThanOrEqual(cost.actualQueryCost);
    },
  );

  it('counts board(id)’s statement and its row, on PostgreSQL read straight from the pool', async () => {
    const { boards } = await app
      .asReadOnly()
      .data<{ boards: { nodes: { id: string }[] } }>('{ boards(first: 1) { nodes { id } } }');
    const query = 'query ($id: ID!) { board(id: $id) { id name } }';
    const found = await run(app, app.identities.readOnly.secret, query, { id: boards.nodes[0].id });
    expect(found.errors).toBeUndefined();
    expect(found.cost?.actualQueryCost).toBe(BASE + 1 + 1);
    const missing = await run(app, app.identities.readOnly.secret, query, {
      id: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.data).toEqual({ board: null });
    expect(missing.cost?.actualQueryCost).toBe(BASE + 1);
  });

  it('counts rows and statements: a page of 20 boards is its statement and 13 rows', async () => {
    // 12 boards and no look-ahead row beyond them: 1 statement + 12 rows.
    const response = await run(
      app,
      app.identities.readOnly.secret,
      '{ boards(first: 20) { nodes { id } } }',
    );
    expect(response.cost?.actualQueryCost).toBe(BASE + 13);
    expect(response.cost?.requestedQueryCost).toBe(BASE + 1 + 21);
    const withCount = await run(
      app,
      app.identities.readOnly.secret,
      '{ boards(first: 20) { totalCount nodes { id } } }',
    );
    // The count: one more statement, one more row.
    expect(withCount.cost?.actualQueryCost).toBe(BASE + 15);
  });

  it('a viewer reads nothing and costs the base alone', async () => {
    const response = await run(app, app.identities.readOnly.secret, '{ viewer { permission } }');
    expect(response.cost).toMatchObject({ requestedQueryCost: BASE, actualQueryCost: BASE });
  });
});

describe('budgets per token', () => {
  const T0 = Date.parse('2026-03-01T00:00:00.000Z');
  let now = T0;
  let app: TestApp;
  const BUCKET = 1000;
  const RATE = 10;
  /** COST_PER_REQUEST in these tests: every figure below includes it. */
  const BASE_HERE = 10;
  const PAGE = '{ boards(first: 500) { nodes { id monitors(first: 5) { nodes { id } } } } }';
  const PAGE_COST = BASE_HERE + 1 + 501 + 500 * 7;

  beforeEach(async () => {
    now = T0;
    app = await TestApp.start({
      limits: {
        costBucketSize: BUCKET,
        costRestoreRate: RATE,
        costPerRequest: BASE_HERE,
        authFailuresPerMinute: 1000,
      },
      clock: { now: () => new Date(now) },
    });
    await insertStatusFixture(app, {
      boards: 300,
      monitorsPerBoard: 1,
      eventsPerMonitor: 1,
      incidents: 3,
      updatesPerIncident: 1,
    });
  });
  afterEach(() => app.close());

  const reader = () => app.identities.readOnly.secret;
  // Estimated at a statement and 101 rows; reads the 3 incidents there are.
  const SMALL = '{ incidents(first: 100) { nodes { id } } }';
  const SMALL_COST = BASE_HERE + 1 + 101;

  it('an operation over the whole bucket: 400 QUERY_TOO_COSTLY with the figures, charged nothing', async () => {
    expect(PAGE_COST).toBeGreaterThan(BUCKET);
    const refused = await run(app, reader(), PAGE);
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    expect(refused.errors?.[0]?.message).toContain(`${PAGE_COST} points`);
    const figures = {
      requestedQueryCost: PAGE_COST,
      actualQueryCost: 0,
      throttleStatus: { maximumAvailable: BUCKET, currentlyAvailable: BUCKET, restoreRate: RATE },
    };
    expect(refused.errors?.[0]?.extensions?.cost).toEqual(figures);
    expect(refused.cost).toEqual(figures);
    expect(await app.services.costBudget.available(app.identities.readOnly.token.id)).toBe(BUCKET);
  });

  it('reserves the requested cost, settles to the actual one, and reports it in extensions and headers', async () => {
    const response = await run(app, reader(), SMALL);
    expect(response.errors).toBeUndefined();
    // The base, 1 statement and 3 rows were read: that is what the token is charged.
    expect(response.cost).toEqual({
      requestedQueryCost: SMALL_COST,
      actualQueryCost: BASE_HERE + 4,
      throttleStatus: {
        maximumAvailable: BUCKET,
        currentlyAvailable: BUCKET - 14,
        restoreRate: RATE,
      },
    });
    expect(response.headers.get('ratelimit-limit')).toBe(String(BUCKET));
    expect(response.headers.get('ratelimit-remaining')).toBe(String(BUCKET - 14));
    // 14 points at 10 a second: full again within 2 seconds.
    expect(response.headers.get('ratelimit-reset')).toBe('2');
  });

  it('a spent budget: 429 with Retry-After until the query fits, charged nothing, while another token is served', async () => {
    // The base, 298 boards and the look-ahead row: estimated and read alike, 310 points.
    const SPEND = '{ boards(first: 298) { nodes { id } } }';
    for (const left of [690, 380, 70]) {
      const spent = await run(app, reader(), SPEND);
      expect(spent.cost).toMatchObject({ requestedQueryCost: 310, actualQueryCost: 310 });
      expect(spent.cost?.throttleStatus.currentlyAvailable).toBe(left);
    }
    const refused = await run(app, reader(), SPEND);
    expect(refused.status).toBe(429);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // 240 points short at 10 a second.
    expect(refused.headers.get('retry-after')).toBe('24');
    expect(refused.errors?.[0]?.extensions?.cost).toEqual({
      requestedQueryCost: 310,
      actualQueryCost: 0,
      throttleStatus: { maximumAvailable: BUCKET, currentlyAvailable: 70, restoreRate: RATE },
    });
    expect(await app.services.costBudget.available(app.identities.readOnly.token.id)).toBe(70);

    // Another token of the same organization is served meanwhile.
    const other = await run(app, app.identities.full.secret, SPEND);
    expect(other.errors).toBeUndefined();
    expect(other.cost?.throttleStatus.currentlyAvailable).toBe(690);

    now += 23_000;
    const early = await run(app, reader(), SPEND);
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('1');
    now += 1000;
    const fits = await run(app, reader(), SPEND);
    expect(fits.errors).toBeUndefined();
    expect(fits.cost?.throttleStatus.currentlyAvailable).toBe(0);
  });

  it('parallel requests cannot all pass one check: the requested cost is reserved up front', async () => {
    const SPEND = '{ boards(first: 298) { nodes { id } } }';
    const responses = await Promise.all(Array.from({ length: 6 }, () => run(app, reader(), SPEND)));
    expect(responses.filter((r) => r.errors === undefined)).toHaveLength(3);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(3);
  });

  it('rateLimit: the operation’s requested cost and the budget after its charge', async () => {
    const response = await run<{
      rateLimit: {
        cost: number;
        limit: number;
        remaining: number;
        resetAt: string;
        restoreRate: number;
      };
    }>(
      app,
      reader(),
      '{ rateLimit { cost limit remaining resetAt restoreRate } incidents(first: 100) { nodes { id } } }',
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.rateLimit).toEqual({
      cost: SMALL_COST,
      limit: BUCKET,
      remaining: BUCKET - SMALL_COST,
      resetAt: new Date(T0 + Math.ceil(SMALL_COST / RATE) * 1000).toISOString(),
      restoreRate: RATE,
    });
  });

  it('queryCost estimates another document without running it and costs 1; a bad document is BAD_USER_INPUT', async () => {
    const response = await run<{
      queryCost: {
        requestedQueryCost: number;
        maximumAvailable: number;
        currentlyAvailable: number;
      };
    }>(
      app,
      reader(),
      'query($q: String!, $v: String) { queryCost(query: $q, variables: $v) { requestedQueryCost maximumAvailable currentlyAvailable } }',
      { q: 'query($n: Int) { boards(first: $n) { nodes { id } } }', v: '{"n": 7}' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.queryCost).toEqual({
      requestedQueryCost: BASE_HERE + 1 + 8,
      maximumAvailable: BUCKET,
      // After this request's own reservation of 1.
      currentlyAvailable: BUCKET - 1,
    });
    // Nothing ran: no statement, no row; the charge is 1 (API.md), not the base.
    expect(response.cost).toMatchObject({ requestedQueryCost: 1, actualQueryCost: 1 });
    const estimate = await run<{ queryCost: { requestedQueryCost: number } }>(
      app,
      reader(),
      'query($q: String!) { queryCost(query: $q) { requestedQueryCost } }',
      { q: PAGE },
    );
    expect(estimate.data?.queryCost.requestedQueryCost).toBe(PAGE_COST);

    for (const [q, v, message] of [
      [
        'query A { viewer { permission } } query B { viewer { permission } }',
        null,
        /Must provide operation name/,
      ],
      ['{ viewer { permission } }', '[1', /variables must be a JSON object/],
    ] as const) {
      const bad = await run(
        app,
        reader(),
        'query($q: String!, $v: String) { queryCost(query: $q, variables: $v) { requestedQueryCost } }',
        { q, v },
      );
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toMatch(message);
    }
  });
});

describe('the review’s amplified requests, with the default budget', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ limits: { authFailuresPerMinute: 1000 } });
    await insertStatusFixture(app, {
      boards: 3,
      monitorsPerBoard: 2,
      eventsPerMonitor: 2,
      incidents: 6,
      updatesPerIncident: 1,
    });
  }, 60_000);
  afterAll(() => app.close());

  const thirty = (fields: (i: number) => string) =>
    Array.from({ length: 15 }, (_, i) => fields(i)).join(' ');
  const perBoard = thirty(
    (i) => `m${i}: monitors(first: 0) { totalCount } i${i}: incidents(first: 0) { totalCount }`,
  );

  it.each([
    ['under 1000 boards', `{ boards(first: 1000) { nodes { ${perBoard} } } }`, 121_002],
    [
      'under the boards of 1000 incidents',
      `{ incidents(first: 1000) { nodes { board { ${perBoard} } } } }`,
      122_003,
    ],
    [
      'statusEvents after a cursor under 1000 monitors',
      `{ monitors(first: 1000) { nodes { ${thirty(
        (i) =>
          `a${i}: statusEvents(first: 0, after: "x") { totalCount } b${i}: statusEvents(first: 1) { totalCount }`,
      )} } } }`,
      1002 + 1000 * (15 * 4 + 15 * 5),
    ],
  ])(
    '%s: 400 QUERY_TOO_COSTLY before anything runs, charged nothing',
    async (_name, query, cost) => {
      const response = await run(app, app.identities.readOnly.secret, query);
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
      expect(response.cost).toEqual({
        requestedQueryCost: BASE + cost,
        actualQueryCost: 0,
        throttleStatus: {
          maximumAvailable: 120_000,
          currentlyAvailable: 120_000,
          restoreRate: 200_000,
        },
      });
    },
  );

  it('GraphiQL’s introspection query runs, charged what it walks (issue 13’s probe)', async () => {
    const response = await run(app, app.identities.readOnly.secret, getIntrospectionQuery());
    expect(response.errors).toBeUndefined();
    // A point for every type, field, argument, enum value and type reference it builds.
    const walk = response.cost?.requestedQueryCost ?? 0;
    expect(walk).toBeGreaterThan(BASE + 500);
    expect(walk).toBeLessThan(DEFAULT_LIMITS.costBucketSize / 10);
    // It reads no rows: the base.
    expect(response.cost?.actualQueryCost).toBe(BASE);
  });

  it('thirty aliased schema walks cost thirty walks, charged before they run', async () => {
    const walk = '__schema { types { fields { args { type { ofType { ofType { name } } } } } } }';
    const one = await run(app, app.identities.readOnly.secret, `{ ${walk} }`);
    const thirty = await run(
      app,
      app.identities.readOnly.secret,
      `{ ${Array.from({ length: 30 }, (_, i) => `w${i}: ${walk}`).join(' ')} }`,
    );
    expect(thirty.errors).toBeUndefined();
    const perWalk = (one.cost?.requestedQueryCost ?? 0) - BASE;
    expect(perWalk).toBeGreaterThan(100);
    expect(thirty.cost?.requestedQueryCost).toBe(BASE + 30 * perWalk);
  });

  it('the README’s BI page fits: 52,504 requested, what it read charged', async () => {
    const response = await run(
      app,
      app.identities.readOnly.secret,
      '{ incidents(first: 1000) { nodes { id name severity phase startedAt resolvedAt board { name } monitors { displayName } } pageInfo { hasNextPage endCursor } } }',
    );
    expect(response.errors).toBeUndefined();
    expect(response.cost?.requestedQueryCost).toBe(BASE + 52_004);
    expect(response.cost?.actualQueryCost).toBeLessThan(BASE + 100);
  });
});

describe('queryCost refuses what the request would refuse, in the same words', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ limits: { authFailuresPerMinute: 1000 } });
    // A board, so that the request's nested list runs (and refuses its `first`).
    await insertStatusFixture(app, {
      boards: 1,
      monitorsPerBoard: 1,
      eventsPerMonitor: 0,
      incidents: 0,
      updatesPerIncident: 0,
    });
  });
  afterAll(() => app.close());

  const aliases = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `v${i}: viewer { permission }`).join(' ')} }`;
  // Two levels a step: boards → nodes → monitors → nodes → board → monitors → …
  const deep = (steps: number): string =>
    steps === 0 ? 'id' : `monitors { nodes { board { ${deep(steps - 1)} } } }`;

  it.each([
    ['a first beyond the largest page', '{ boards(first: 5000) { nodes { id } } }', undefined],
    ['a negative first', '{ incidents(first: -1) { nodes { id } } }', undefined],
    [
      'a first beyond the largest page in a variable',
      'query($n: Int) { monitors(first: $n) { nodes { id } } }',
      { n: 1001 },
    ],
    [
      'a nested first beyond',
      '{ boards { nodes { monitors(first: 2000) { totalCount } } } }',
      undefined,
    ],
    ['too many aliases', aliases(31), undefined],
    ['too deep', `{ boards { nodes { ${deep(4)} } } }`, undefined],
    ['an unknown field', '{ boards { nodes { nope } } }', undefined],
    ['a misspelt field (no suggestion)', '{ boards { nodes { nam } } }', undefined],
    [
      'a variable of the wrong type',
      'query($n: Int) { boards(first: $n) { nodes { id } } }',
      { n: 'x' },
    ],
    ['not a document', '{ boards { ', undefined],
    [
      'several operations without an operationName',
      'query A { viewer { permission } } query B { boards { totalCount } }',
      undefined,
    ],
  ])(
    'queryCost of a document the request refuses (%s): BAD_USER_INPUT with the request’s message',
    async (_name, q, variables) => {
      const request = await run(app, app.identities.full.secret, q, variables);
      const message = request.errors?.[0]?.message;
      expect(message).toBeDefined();
      const priced = await run(
        app,
        app.identities.readOnly.secret,
        'query($q: String!, $v: String) { queryCost(query: $q, variables: $v) { requestedQueryCost } }',
        { q, v: variables === undefined ? null : JSON.stringify(variables) },
      );
      expect(priced.data).toBeNull();
      expect(priced.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(priced.errors?.[0]?.message).toBe(message);
      expect(priced.cost).toMatchObject({ requestedQueryCost: 1, actualQueryCost: 1 });
    },
  );
});
