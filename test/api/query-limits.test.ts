import { DEFAULT_LIMITS } from '../../src/core/config';
import { getIntrospectionQuery } from 'graphql';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { Incident } from '../../src/incidents/incident.entity';
import { QUERY_LIMITS } from '../../src/limits/query-limits';
import type { GraphQLResponse } from '../helpers/http-client';
import { TestApp } from '../helpers/test-app';
import { metricSamples } from '../helpers/metrics';

/**
 * The static limits on a document (GraphQL Armor + graphql-js's token limit) and the cost
 * refusal of API.md section 9 (default budget), over real HTTP against a real database: the
 * largest legitimate request passes, amplification is refused before anything runs, with a clear
 * message, and each refusal is counted by its limit.
 */

type Limit = 'aliases' | 'depth' | 'directives' | 'cost';
const LIMITS: Limit[] = ['aliases', 'depth', 'directives', 'cost'];

/** Every sample of a metric in the app's /metrics, by its label text ('' for none). */
const samples = (app: TestApp, name: string) => metricSamples(app.url, name);

/** statusgraph_query_limit_refusals_total by limit (0 for a limit never refused). */
async function refusals(app: TestApp): Promise<Record<Limit, number>> {
  const all = await samples(app, 'statusgraph_query_limit_refusals_total');
  return Object.fromEntries(
    LIMITS.map((limit) => [limit, all.get(`{limit="${limit}"}`) ?? 0]),
  ) as Record<Limit, number>;
}

/** statusgraph_http_requests_total for one outcome, every operation type together. */
async function requestsWithOutcome(app: TestApp, outcome: string): Promise<number> {
  let total = 0;
  for (const [labels, value] of await samples(app, 'statusgraph_http_requests_total')) {
    if (labels.includes(`outcome="${outcome}"`)) {
      total += value;
    }
  }
  return total;
}

/** The change of each refusal counter while `send` runs (the request log counts on 'close'). */
async function refusalsDuring<T = Record<string, unknown>>(
  app: TestApp,
  send: () => Promise<GraphQLResponse<T>>,
): Promise<{ response: GraphQLResponse<T>; counted: Record<Limit, number> }> {
  const before = await refusals(app);
  const response = await send();
  const after = await refusals(app);
  const counted = Object.fromEntries(
    LIMITS.map((limit) => [limit, after[limit] - before[limit]]),
  ) as Record<Limit, number>;
  return { response, counted };
}

const NONE: Record<Limit, number> = { aliases: 0, depth: 0, directives: 0, cost: 0 };

/** A refusal before execution: 400, GRAPHQL_VALIDATION_FAILED, no data, Armor's prefix gone. */
function expectRefusedByValidation(response: GraphQLResponse<unknown>, message: RegExp): void {
  expect(response.status).toBe(400);
  expect(response.data).toBeUndefined();
  const errors = response.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(error.message).not.toMatch(/Syntax Error/);
  }
  expect(errors.map((error) => error.message)).toContainEqual(expect.stringMatching(message));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `n` aliased createBoard mutations in one document. */
const createBoards = (n: number, prefix: string) =>
  `mutation { ${range(n)
    .map((i) => `b${i}: createBoard(input: { name: "${prefix} ${i}" }) { id name }`)
    .join('\n')} }`;

/**
 * The largest legitimate request: a BI export page of 1000 incidents with every incident field,
 * its board, its updates and its monitors with their fields (request headers, 20 points per
 * monitor per incident, are read on a page of monitors: 1000 incidents × 50 monitors × 20 would
 * not fit a budget).
 */
const BI_PAGE = `query BiExport {
  incidents(first: 1000) {
    totalCount
    pageInfo { endCursor hasNextPage }
    nodes {
      id name details severity phase startedAt resolvedAt willStartAt willEndAt
      createdAt updatedAt deletedAt
      board { id name createdAt updatedAt }
      updates { id phase message createdAt }
      monitors {
        id displayName monitorType status paused url host serviceName checkIntervalMinutes
        lastCheckedAt createdAt updatedAt board { id name }
      }
    }
  }
}`;

/**
 * A document `levels` fields deep through real fields: boards → nodes → incidents → nodes →
 * board → incidents → nodes → board → …, ending with a scalar at depth `levels`.
 */
// Lists ask for one item each, so that the cost of nested lists does not refuse them first.
function nested(levels: number): string {
  const path = ['boards(first: 1)', 'nodes'];
  while (path.length < levels - 1) {
    path.push(...['incidents(first: 1)', 'nodes', 'board'].slice(0, levels - 1 - path.length));
  }
  expect(path).toHaveLength(levels - 1);
  const leaf = path.at(-1)?.startsWith('incidents') ? 'totalCount' : 'id';
  return `{ ${path.join(' { ')} { ${leaf} ${' }'.repeat(path.length)} }`;
}

interface BiPage {
  incidents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean };
    nodes: {
      id: string;
      name: string;
      board: { id: string; name: string };
      updates: { message: string }[];
      monitors: {
        displayName: string;
        board: { id: string };
      }[];
    }[];
  };
}

describe('query limits', () => {
  let app: TestApp;
  const boardCount = () =>
    app.services.db.reader.countBy(Board, { organizationId: app.organization.id });
  const auditEvents = () =>
    app.services.db.reader.countBy(AuditEvent, { organizationId: app.organization.id });

  beforeAll(async () => {
    // The default budget: the cost refusals below are its, as a deployment has them.
    app = await TestApp.start({ limits: { authFailuresPerMinute: 1_000_000 } });
  });
  afterAll(() => app.close());

  describe('what legitimate clients send passes', () => {
    it('a BI export page: incidents(first: 1000) with every field, board, updates and monitors', async () => {
      const full = app.asFullAccess();
      const { createBoard } = await full.data<{ createBoard: { id: string } }>(
        'mutation { createBoard(input: { name: "BI board" }) { id } }',
      );
      const monitorInputs = [
        {
          displayName: 'Website',
          monitorType: 'WEBSITE',
          url: 'https://status.example.com/health',
          requestHeaders: [{ name: 'X-Check', value: 'bi' }],
        },
        { displayName: 'Ping', monitorType: 'PING', host: 'db.example.com' },
        { displayName: 'Service', monitorType: 'SERVICE', serviceName: 'AWS S3' },
        { displayName: 'Custom', monitorType: 'CUSTOM', checkIntervalMinutes: 15 },
      ];
      const monitorIds: string[] = [];
      for (const input of monitorInputs) {
        const { createMonitor } = await full.data<{ createMonitor: { id: string } }>(
          'mutation($input: CreateMonitorInput!) { createMonitor(input: $input) { id } }',
          { input: { boardId: createBoard.id, ...input } },
        );
        monitorIds.push(createMonitor.id);
      }
      const INCIDENTS = 6;
      for (const i of range(INCIDENTS)) {
        const { createIncident } = await full.data<{ createIncident: { id: string } }>(
          'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }',
          {
            input: {
              boardId: createBoard.id,
              name: `Incident ${i}`,
              details: `Details of incident ${i}`,
              severity: i % 2 === 0 ? 'MINOR' : 'MAJOR',
              monitorIds: monitorIds.slice(0, 1 + (i % monitorIds.length)),
            },
          },
        );
        await full.data(
          'mutation($id: ID!, $input: IncidentUpdateInput!) { addIncidentUpdate(incidentId: $id, input: $input) { id } }',
          { id: createIncident.id, input: { message: `Found it (${i})`, phase: 'IDENTIFIED' } },
        );
      }

      const { response, counted } = await refusalsDuring(app, () => full.request<BiPage>(BI_PAGE));
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(counted).toEqual(NONE);
      const page = response.data?.incidents;
      expect(page?.totalCount).toBe(INCIDENTS);
      expect(page?.pageInfo.hasNextPage).toBe(false);
      expect(page?.nodes).toHaveLength(INCIDENTS);
      for (const node of page?.nodes ?? []) {
        expect(node.board).toMatchObject({ id: createBoard.id, name: 'BI board' });
        expect(node.updates.map((u) => u.message)).toContainEqual(
          expect.stringMatching(/^Found it/),
        );
        expect(node.monitors.length).toBeGreaterThanOrEqual(1);
        for (const monitor of node.monitors) {
          expect(monitor.board.id).toBe(createBoard.id);
        }
      }
      const { monitors } = await full.data<{
        monitors: { nodes: { displayName: string; requestHeaders: unknown }[] };
      }>('{ monitors(first: 1000) { nodes { displayName requestHeaders { name value } } } }');
      const website = monitors.nodes.find((monitor) => monitor.displayName === 'Website');
      expect(website?.requestHeaders).toEqual([{ name: 'X-Check', value: 'bi' }]);
    });

    it.each([15, QUERY_LIMITS.maxAliases])(
      '%i aliased createBoard mutations in one request all execute',
      async (n) => {
        const before = await boardCount();
        const auditedBefore = await auditEvents();
        const prefix = `Batch of ${n}`;
        const { response, counted } = await refusalsDuring(app, () =>
          app
            .asFullAccess()
            .request<Record<string, { id: string; name: string }>>(createBoards(n, prefix)),
        );
        expect(response.status).toBe(200);
        expect(response.errors).toBeUndefined();
        expect(counted).toEqual(NONE);
        const created = Object.values(response.data ?? {});
        expect(created.map((board) => board.name).sort()).toEqual(
          range(n)
            .map((i) => `${prefix} ${i}`)
            .sort(),
        );
        expect(new Set(created.map((board) => board.id)).size).toBe(n);
        expect(await boardCount()).toBe(before + n);
        expect(await auditEvents()).toBe(auditedBefore + n);
      },
    );

    it('15 aliased createIncident mutations in one request all execute', async () => {
      const { createBoard } = await app
        .asFullAccess()
        .data<{ createBoard: { id: string } }>(
          'mutation { createBoard(input: { name: "Aliased incidents" }) { id } }',
        );
      const document = `mutation($board: ID!) { ${range(15)
        .map(
          (i) =>
            `i${i}: createIncident(input: { boardId: $board, name: "Aliased ${i}", severity: MINOR }) { id name board { id } }`,
        )
        .join('\n')} }`;
      const response = await app
        .asFullAccess()
        .request<Record<string, { id: string; name: string; board: { id: string } }>>(document, {
          board: createBoard.id,
        });
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(Object.keys(response.data ?? {})).toHaveLength(15);
      expect(await app.services.db.reader.countBy(Incident, { boardId: createBoard.id })).toBe(15);
    });

    it("graphql-js's introspection query (the playground's) passes", async () => {
      const { response, counted } = await refusalsDuring(app, () =>
        app
          .asReadOnly()
          .request<{ __schema: { types: { name: string }[] } }>(getIntrospectionQuery()),
      );
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(counted).toEqual(NONE);
      expect(response.data?.__schema.types.map((type) => type.name)).toEqual(
        expect.arrayContaining(['Incident', 'Monitor', 'Board', 'Query', 'Mutation']),
      );
    });

    it(`a document ${QUERY_LIMITS.maxDepth} fields deep passes`, async () => {
      const response = await app.asReadOnly().request(nested(QUERY_LIMITS.maxDepth));
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
    });
  });

  describe('amplification is refused before anything runs', () => {
    it('200 aliases: 400 GRAPHQL_VALIDATION_FAILED, counted as aliases', async () => {
      const document = `{ ${range(200)
        .map((i) => `v${i}: viewer { permission }`)
        .join(' ')} }`;
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document),
      );
      expectRefusedByValidation(
        response,
        /^Aliases limit of 30 exceeded, found 200\. Please send fewer aliased fields, or split the request\.$/,
      );
      expect(counted).toEqual({ ...NONE, aliases: 1 });
    });

    it.each([31, 200])(
      '%i aliased createBoard mutations are refused and create no board',
      async (n) => {
        const before = await boardCount();
        const auditedBefore = await auditEvents();
        const { response, counted } = await refusalsDuring(app, () =>
          app.asFullAccess().request(createBoards(n, `Refused ${n}`)),
        );
        expectRefusedByValidation(
          response,
          new RegExp(`^Aliases limit of 30 exceeded, found ${n}\\.`),
        );
        expect(counted).toEqual({ ...NONE, aliases: 1 });
        expect(await boardCount()).toBe(before);
        // Not even attempted: nothing was audited either.
        expect(await auditEvents()).toBe(auditedBefore);
      },
    );

    it(`depth ${QUERY_LIMITS.maxDepth + 1}: refused, counted as depth`, async () => {
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(nested(QUERY_LIMITS.maxDepth + 1)),
      );
      expectRefusedByValidation(
        response,
        /^Query depth limit of 12 exceeded, found 13\. Please ask for less deeply nested fields\.$/,
      );
      expect(counted).toEqual({ ...NONE, depth: 1 });
    });

    it('depth 30 through real fields: refused by depth before its cost is reckoned', async () => {
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(nested(30)),
      );
      expectRefusedByValidation(response, /^Query depth limit of 12 exceeded, found 30\./);
      expect(counted).toEqual({ ...NONE, depth: 1 });
    });

    it('a 1000-row list nested inside another 1000-row list: refused as QUERY_TOO_COSTLY, counted as cost', async () => {
      const document = `{ boards(first: 1000) { nodes { id incidents(first: 1000) { nodes { id name } } } } }`;
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document),
      );
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
      expect(response.errors?.[0]?.message).toMatch(
        new RegExp(
          `^This operation's estimated cost is ${1003002 + DEFAULT_LIMITS.costPerRequest} points, ` +
            "more than this token's whole budget of \\d+\\. Ask for fewer rows",
        ),
      );
      expect(counted).toEqual({ ...NONE, cost: 1 });
    });

    it('the same nested lists with `first` given as a variable: refused too (cost counts what will run)', async () => {
      const document = `query($n: Int) { boards(first: $n) { nodes { id incidents(first: $n) { nodes { id name } } } } }`;
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document, { n: 1000 }),
      );
      expect({ status: response.status, counted }).toEqual({
        status: 400,
        counted: { ...NONE, cost: 1 },
      });
    });

    it('the same nested lists with `first` left to a variable’s default of 1000: refused too', async () => {
      const document = `query($a: Int = 1000, $b: Int = 1000) { boards(first: $a) { nodes { id incidents(first: $b) { nodes { id name } } } } }`;
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document),
      );
      expect({ status: response.status, counted }).toEqual({
        status: 400,
        counted: { ...NONE, cost: 1 },
      });
    });

    it('fragments that each spread the next twice: answered at once, not reckoned 2^n times', async () => {
      const levels = 40;
      const fragments = Array.from({ length: levels }, (_, i) =>
        i < levels - 1
          ? `fragment F${i} on Viewer { ...F${i + 1} ...F${i + 1} }`
          : `fragment F${i} on Viewer { permission }`,
      );
      const document = `{ viewer { ...F0 } } ${fragments.join(' ')}`;
      // 2^40 walks would take days: an answer at all (within the test's timeout) shows one walk
      // per fragment, and the cost counted is that of the one refusal.
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document),
      );
      // One walk per fragment, not 2^40 (the test's timeout bounds it). A viewer reads nothing,
      // so it costs the minimum and is answered.
      expect({ status: response.status, counted }).toEqual({ status: 200, counted: NONE });
    });

    it('60 directives: refused, counted as directives', async () => {
      const document = `{ viewer { ${'permission @include(if: true) '.repeat(60)} } }`;
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document),
      );
      expectRefusedByValidation(
        response,
        /^Directives limit of 50 exceeded, found 60\. Please use fewer directives\.$/,
      );
      expect(counted).toEqual({ ...NONE, directives: 1 });
    });

    it('5,000 duplicated fields: 400 GRAPHQL_PARSE_FAILED by the token limit, nothing run', async () => {
      const document = `{ viewer { ${'permission '.repeat(5000)} } }`;
      const parseFailuresBefore = await requestsWithOutcome(app, 'GRAPHQL_PARSE_FAILED');
      const { response, counted } = await refusalsDuring(app, () =>
        app.asReadOnly().request(document),
      );
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      expect(response.errors?.[0]?.message).toMatch(/5000 tokens/);
      // Not one of the validation limits; the request log counts it by its outcome.
      expect(counted).toEqual(NONE);
      expect(await requestsWithOutcome(app, 'GRAPHQL_PARSE_FAILED')).toBe(parseFailuresBefore + 1);
    });

    it('5,000 duplicated fields inside a mutation create no board', async () => {
      const before = await boardCount();
      const response = await app
        .asFullAccess()
        .request(`mutation { createBoard(input: { name: "x" }) { ${'id '.repeat(5000)} } }`);
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      expect(await boardCount()).toBe(before);
    });
  });

  describe('no error walks a stranger through the schema', () => {
    it.each<[string, string, Record<string, unknown> | undefined]>([
      ['a typo in a root field', '{ incidentz { nodes { id } } }', undefined],
      ['a typo in a nested field', '{ monitors { nodes { displayNam } } }', undefined],
      ['a typo in an argument', '{ incidents(frist: 5) { nodes { id } } }', undefined],
      [
        'a typo in an enum literal',
        '{ incidents(orderBy: STARTED_AT_DES) { nodes { id } } }',
        undefined,
      ],
      [
        'a typo in a type name',
        'query($f: IncidentFiltr) { incidents(filter: $f) { nodes { id } } }',
        undefined,
      ],
      [
        'a typo in an input field literal',
        'mutation { createBoard(input: { nam: "x" }) { id } }',
        undefined,
      ],
      [
        'a typo in an enum value of a variable',
        'query($o: IncidentOrder!) { incidents(orderBy: $o) { nodes { id } } }',
        { o: 'STARTED_AT_DES' },
      ],
      [
        'a typo in an input field of a variable',
        'mutation($input: CreateBoardInput!) { createBoard(input: $input) { id } }',
        { input: { name: 'x', nam: 'y' } },
      ],
    ])('%s: no "Did you mean"', async (_case, document, variables) => {
      const before = await boardCount();
      const response = await app.asFullAccess().request(document, variables);
      expect(response.status).toBe(400);
      expect(response.errors?.length).toBeGreaterThan(0);
      expect(response.text).not.toMatch(/Did you mean/i);
      expect(await boardCount()).toBe(before);
    });
  });
});
