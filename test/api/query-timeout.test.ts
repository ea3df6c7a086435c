import { randomUUID } from 'node:crypto';
import { Incident } from '../../src/incidents/incident.entity';
import { QUERY_TIMEOUT_RETRY_AFTER_SECONDS } from '../../src/limits/query-timeout';
import type { GraphQLResponse } from '../helpers/http-client';
import { insertBulkIncidents } from '../helpers/incident-fixture';
import { TestApp } from '../helpers/test-app';
import { metricSamples } from '../helpers/metrics';

/**
 * Queries that run past `queryTimeoutMs` are answered with 503 QUERY_TIMEOUT and Retry-After,
 * never with partial data; mutations have no limit. Real HTTP, a real database, and a 1 ms limit
 * against a page of 1000 incidents with their boards, monitors and updates. The deadline itself,
 * by a clock the test moves, is test/unit/query-deadline.test.ts.
 */

const AT = new Date('2026-03-01T00:00:00.000Z');
const INCIDENTS = 1000;
const MONITORS = 10;
const TIMEOUT_MS = 1;

const PAGE = `query Page {
  incidents(first: 1000) {
    totalCount
    nodes {
      id name details severity phase startedAt resolvedAt willStartAt willEndAt createdAt updatedAt
      board { id name }
      updates { id phase message createdAt }
      monitors { id displayName monitorType status paused checkIntervalMinutes board { id } }
    }
  }
}`;

/** Every sample of a metric in the app's /metrics, by its label text ('' for none). */
const samples = (app: TestApp, name: string) => metricSamples(app.url, name);

const timeouts = async (app: TestApp) =>
  (await samples(app, 'statusgraph_query_timeouts_total')).get('') ?? 0;

/** statusgraph_http_requests_total by "operation_type outcome". */
async function requestsByOutcome(app: TestApp): Promise<Map<string, number>> {
  const byOutcome = new Map<string, number>();
  for (const [labels, value] of await samples(app, 'statusgraph_http_requests_total')) {
    const type = /operation_type="([^"]*)"/.exec(labels)?.[1];
    const outcome = /outcome="([^"]*)"/.exec(labels)?.[1];
    byOutcome.set(`${type} ${outcome}`, value);
  }
  return byOutcome;
}

/** What changed in statusgraph_http_requests_total between two readings (zeros left out). */
function counted(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const [key, value] of after) {
    const change = value - (before.get(key) ?? 0);
    if (change !== 0) {
      changes[key] = change;
    }
  }
  return changes;
}

/** 1000 incidents on two boards, each with 1–3 of 10 monitors and two updates; the board ids. */
async function seed(app: TestApp): Promise<string[]> {
  const { boards } = await insertBulkIncidents(app.services, app.organization.id, {
    at: AT,
    count: INCIDENTS,
    boards: 2,
    monitorsPerBoard: MONITORS / 2,
    spacingMs: 1000,
    updatesPerIncident: 2,
    details: true,
  });
  return boards.map((board) => board.id);
}

interface PageData {
  incidents: { totalCount: number; nodes: { id: string }[] };
}

function expectTimedOut(response: GraphQLResponse<unknown>): void {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe(String(QUERY_TIMEOUT_RETRY_AFTER_SECONDS));
  expect(response.headers.get('content-type')).toMatch(/json/);
  const body = JSON.parse(response.text) as Record<string, unknown>;
  // One error and its cost: no partial data, not even `data: null`.
  expect(Object.keys(body)).toEqual(['errors', 'extensions']);
  // Charged what it read before it was stopped (API.md section 9), never more than requested.
  const { cost } = body.extensions as {
    cost: { requestedQueryCost: number; actualQueryCost: number };
  };
  expect(cost.actualQueryCost).toBeGreaterThan(0);
  expect(cost.actualQueryCost).toBeLessThanOrEqual(cost.requestedQueryCost);
  expect(response.errors).toHaveLength(1);
  expect(response.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TIMEOUT' });
  expect(response.errors?.[0]?.message).toMatch(/ran longer than the server's limit/);
  expect(response.errors?.[0]?.message).toMatch(/smaller `first`/);
  expect(response.text).not.toMatch(/Incident \d/);
}

describe('the query timeout', () => {
  describe(`with a ${TIMEOUT_MS} ms limit and a page that takes far longer`, () => {
    let app: TestApp;
    let boardIds: string[];

    beforeAll(async () => {
      app = await TestApp.start({
        limits: {
          costBucketSize: 1_000_000_000,
          costRestoreRate: 1_000_000_000,
          authFailuresPerMinute: 1_000_000,
          queryTimeoutMs: TIMEOUT_MS,
        },
      });
      boardIds = await seed(app);
    }, 60_000);
    afterAll(() => app.close());

    it('a large query gets 503 QUERY_TIMEOUT with Retry-After, one error, no partial data; counted', async () => {
      const timeoutsBefore = await timeouts(app);
      const requestsBefore = await requestsByOutcome(app);
      const response = await app.asReadOnly().request<PageData>(PAGE);
      expectTimedOut(response);
      expect(await timeouts(app)).toBe(timeoutsBefore + 1);
      expect(counted(requestsBefore, await requestsByOutcome(app))).toEqual({
        'query QUERY_TIMEOUT': 1,
      });
    });

    // Whether an answer is a timeout is decided once, where the response is sent, and the request
    // log reads its outcome after that (the timeout plugin comes first in the plugin list): so
    // every QUERY_TIMEOUT counted is a 503 the client saw, and every 503 is counted once. Small
    // queries racing the page may themselves run past 1 ms (the event loop is busy with the
    // page), and then they too are 503: how many varies, the agreement does not.
    it('every 503 is counted once as QUERY_TIMEOUT, and nothing answered 200 is', async () => {
      const timeoutsBefore = await timeouts(app);
      const requestsBefore = await requestsByOutcome(app);
      const VIEWER = '{ viewer { permission } }';
      const responses = await Promise.all([
        app.asReadOnly().request<PageData>(PAGE),
        ...Array.from({ length: 20 }, () => app.asReadOnly().request(VIEWER)),
      ]);
      expectTimedOut(responses[0]);
      const answeredTimeout = responses.filter((response) => response.status === 503);
      // A small query is stopped running past the limit, or, with the page in its lane's slot,
      // refused by the fair scheduler for waiting past it: either way a QUERY_TIMEOUT 503.
      for (const response of answeredTimeout.slice(1)) {
        expect({
          code: response.errors?.[0]?.extensions?.code,
          retryAfter: Number(response.headers.get('retry-after')),
          data: response.data,
        }).toEqual({ code: 'QUERY_TIMEOUT', retryAfter: expect.any(Number), data: undefined });
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      for (const response of responses.filter((r) => r.status !== 503)) {
        expect(response.status).toBe(200);
        expect(response.errors).toBeUndefined();
        expect(response.data).toEqual({ viewer: { permission: 'READ_ONLY' } });
      }
      expect(await timeouts(app)).toBe(timeoutsBefore + answeredTimeout.length);
      const change = counted(requestsBefore, await requestsByOutcome(app));
      expect(change).toEqual({
        'query QUERY_TIMEOUT': answeredTimeout.length,
        ...(answeredTimeout.length < responses.length
          ? { 'query ok': responses.length - answeredTimeout.length }
          : {}),
      });
    });

    it('the same holds over GET', async () => {
      const response = await fetch(`${app.url}/graphql?query=${encodeURIComponent(PAGE)}`, {
        headers: app.asReadOnly().headers(),
      });
      const text = await response.text();
      expectTimedOut({
        status: response.status,
        headers: response.headers,
        text,
        ...JSON.parse(text),
      });
    });

    it('a mutation that takes longer than the limit still succeeds and commits', async () => {
      const boardName = `Slow batch ${randomUUID()}`;
      const timeoutsBefore = await timeouts(app);
      const { createBoard } = await app
        .asFullAccess()
        .data<{ createBoard: { id: string } }>(
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name: boardName },
        );
      // Longer than the limit, shown without a stopwatch: its last incident returns the incidents
      // of a seeded board with their boards, monitors and updates, reads that as a query on
      // their own run past the limit (answered 503 here).
      const BOARD_PAGE = `incidents(first: 1000) { totalCount nodes {
        id board { id } monitors { id } updates { id } } }`;
      const asQuery = await app
        .asReadOnly()
        .request(`query($board: ID!) { board(id: $board) { ${BOARD_PAGE} } }`, {
          board: boardIds[0],
        });
      expectTimedOut(asQuery);
      // Thirty incidents in one request (the most aliases a request may have), each returning its
      // board, monitors and updates: 29 on a new board, the last on a seeded one.
      const document = `mutation($board: ID!, $seeded: ID!) { ${Array.from(
        { length: 29 },
        (_, i) =>
          `i${i}: createIncident(input: { boardId: $board, name: "Slow ${i}", severity: MAJOR, details: "d" }) {
            id name board { id name incidents(first: 100) { totalCount nodes { id } } } monitors { id } updates { id } }`,
      ).join('\n')}
        last: createIncident(input: { boardId: $seeded, name: "Slow last", severity: MAJOR }) {
          id board { ${BOARD_PAGE} } } }`;
      const response = await app.asFullAccess().request<Record<string, { id: string }>>(document, {
        board: createBoard.id,
        seeded: boardIds[0],
      });
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(response.headers.get('retry-after')).toBeNull();
      expect(Object.keys(response.data ?? {})).toHaveLength(30);
      const last = response.data?.last as unknown as {
        board: { incidents: { totalCount: number; nodes: unknown[] } };
      };
      expect(last.board.incidents.nodes).toHaveLength(INCIDENTS / 2 + 1);
      expect(await app.services.db.reader.countBy(Incident, { boardId: createBoard.id })).toBe(29);
      expect(await timeouts(app)).toBe(timeoutsBefore + 1);
    });
  });

  describe('with a generous limit', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await TestApp.start({
        limits: {
          costBucketSize: 1_000_000_000,
          costRestoreRate: 1_000_000_000,
          authFailuresPerMinute: 1_000_000,
          queryTimeoutMs: 20_000,
        },
      });
      await seed(app);
    }, 60_000);
    afterAll(() => app.close());

    it('a small query passes, and so does the large page', async () => {
      const small = await app
        .asReadOnly()
        .request<{ incidents: { nodes: { name: string }[] } }>(
          '{ incidents(first: 5) { nodes { name board { name } } } }',
        );
      expect(small.status).toBe(200);
      expect(small.errors).toBeUndefined();
      expect(small.data?.incidents.nodes).toHaveLength(5);

      const large = await app.asReadOnly().request<PageData>(PAGE);
      expect(large.status).toBe(200);
      expect(large.errors).toBeUndefined();
      expect(large.data?.incidents.nodes).toHaveLength(INCIDENTS);
      expect(await timeouts(app)).toBe(0);
    });
  });
});

describe('query slots', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({
      limits: {
        costBucketSize: 1_000_000_000,
        costRestoreRate: 1_000_000_000,
        authFailuresPerMinute: 1_000_000,
        // One slot in each lane: the pages are expensive queries.
        concurrentQueries: 1,
        concurrentExpensiveQueries: 1,
      },
    });
    await seed(app);
  });
  afterAll(() => app.close());

  it('with one slot, queries take turns: two of three concurrent pages wait for it', async () => {
    const queued = async () =>
      (await samples(app, 'statusgraph_queued_queries_total')).get('') ?? 0;
    const before = await queued();
    const [responses, created] = await Promise.all([
      Promise.all([1, 2, 3].map(() => app.asReadOnly().request<PageData>(PAGE))),
      // A mutation never waits for a slot (nor counts as queued).
      app
        .asFullAccess()
        .request<{ createBoard: { name: string } }>(
          'mutation { createBoard(input: { name: "During the pages" }) { name } }',
        ),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.data?.incidents.nodes).toHaveLength(INCIDENTS);
    }
    expect(created.data).toEqual({ createBoard: { name: 'During the pages' } });
    expect((await queued()) - before).toBe(2);
  });
});
