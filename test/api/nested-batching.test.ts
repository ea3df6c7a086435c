import { type StatusFixture, insertStatusFixture } from '../helpers/status-fixture';
import { statementsOfRequest } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9: nested fields under a list are batched — one statement per level whatever
 * the number of parents, `totalCount` included. Each nested field of each list is asked under 3
 * parents and under 30: the statements must be the same in number, and few; the data must be
 * what the field gives for each parent alone.
 */

const aliases = (field: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${field[0]}${i}: ${field}(first: 0) { totalCount }`).join(
    ' ',
  );

describe('no statement per row under a list', () => {
  let app: TestApp;
  let fixture: StatusFixture;
  beforeAll(async () => {
    app = await TestApp.start();
    fixture = await insertStatusFixture(app, {
      boards: 30,
      monitorsPerBoard: 4,
      eventsPerMonitor: 5,
      incidents: 120,
      updatesPerIncident: 2,
    });
  }, 60_000);
  afterAll(() => app.close());

  async function measure<T>(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ data: T; statements: number }> {
    const { data, statements } = await statementsOfRequest<T>(app, query, variables);
    return { data, statements: statements.length };
  }

  // [list, nested field, statements at most (the list's own included)]
  const CASES: [string, string, number][] = [
    ['boards', 'monitors { totalCount nodes { id displayName } }', 3],
    [
      'boards',
      'monitors(first: 2, filter: { status: UP }) { nodes { id } pageInfo { hasNextPage endCursor } }',
      2,
    ],
    ['boards', 'incidents { totalCount nodes { id name } }', 3],
    [
      'boards',
      'incidents(first: 3, orderBy: STARTED_AT_ASC, filter: { severity: MINOR }) { edges { cursor node { id } } }',
      2,
    ],
    [
      'boards',
      'monitors(first: 3) { nodes { statusEvents(first: 2) { totalCount nodes { status } } } }',
      4,
    ],
    ['boards', `${aliases('monitors', 15)} ${aliases('incidents', 15)}`, 5],
    ['monitors', 'board { name }', 2],
    ['monitors', 'statusEvents { totalCount nodes { id status } }', 3],
    ['monitors', 'uptime(since: "2026-01-01T00:00:00.000Z") { upPercent downSeconds }', 2],
    [
      'incidents',
      // The board comes in the page's own statement (joined); its two connections, two each.
      'board { name monitors(first: 0) { totalCount } incidents(first: 0) { totalCount } }',
      5,
    ],
    ['incidents', 'monitors { id board { name } }', 4],
    ['incidents', 'updates { id message }', 2],
    ['statusEvents', 'monitor { id board { name } }', 3],
  ];

  it.each(CASES)(
    '%s { nodes { %s } }: the same few statements under 3 parents as under 30',
    async (list, nested, most) => {
      const query = `query($n: Int) { ${list}(first: $n) { nodes { id ${nested} } } }`;
      const few = await measure<Record<string, { nodes: unknown[] }>>(query, { n: 3 });
      const many = await measure<Record<string, { nodes: unknown[] }>>(query, { n: 30 });
      expect(few.data[list].nodes).toHaveLength(3);
      expect(many.data[list].nodes).toHaveLength(30);
      expect(many.statements).toBe(few.statements);
      expect(many.statements).toBeLessThanOrEqual(most);
    },
  );

  it('statusEvents after a cursor, under every monitor of a list: one statement, each monitor’s own next page', async () => {
    const firstPage = await measure<{
      monitors: { nodes: { id: string; statusEvents: { pageInfo: { endCursor: string } } }[] };
    }>(
      '{ monitors(first: 1) { nodes { id statusEvents(first: 2) { pageInfo { endCursor } } } } }',
      {},
    );
    const [monitor] = firstPage.data.monitors.nodes;
    const after = monitor.statusEvents.pageInfo.endCursor;
    const query = `query($n: Int, $after: String) { monitors(first: $n) { nodes { id statusEvents(first: 2, after: $after) { totalCount nodes { id } } } } }`;
    type Data = {
      monitors: {
        nodes: { id: string; statusEvents: { totalCount: number; nodes: { id: string }[] } }[];
      };
    };
    const few = await measure<Data>(query, { n: 3, after });
    const many = await measure<Data>(query, { n: 30, after });
    expect(many.statements).toBe(few.statements);
    expect(many.statements).toBeLessThanOrEqual(3);
    // Each monitor's page is what the top-level list gives for that monitor alone.
    for (const node of many.data.monitors.nodes.slice(0, 4)) {
      const alone = await app
        .asReadOnly()
        .data<{ statusEvents: { nodes: { id: string }[] } }>(
          'query($m: ID!, $after: String) { statusEvents(first: 2, after: $after, filter: { monitorId: $m }) { nodes { id } } }',
          { m: node.id, after },
        );
      expect(node.statusEvents.nodes).toEqual(alone.statusEvents.nodes);
      expect(node.statusEvents.totalCount).toBe(5);
    }
  });

  it('Board.monitors after a cursor and Board.incidents: each board’s page is the one of that board alone', async () => {
    const board = fixture.boards[0];
    const start = await app
      .asReadOnly()
      .data<{ monitors: { pageInfo: { endCursor: string } } }>(
        'query($b: ID!) { monitors(first: 2, filter: { boardId: $b }) { pageInfo { endCursor } } }',
        { b: board.id },
      );
    const after = start.monitors.pageInfo.endCursor;
    const nested = await app.asReadOnly().data<{
      boards: {
        nodes: {
          id: string;
          monitors: { totalCount: number; nodes: { id: string }[] };
          incidents: { totalCount: number; nodes: { id: string }[] };
        }[];
      };
    }>(
      `query($after: String) { boards(first: 5) { nodes { id
        monitors(first: 2, after: $after) { totalCount nodes { id } }
        incidents(first: 3) { totalCount nodes { id } } } } }`,
      { after },
    );
    for (const node of nested.boards.nodes) {
      const alone = await app.asReadOnly().data<{
        monitors: { totalCount: number; nodes: { id: string }[] };
        incidents: { totalCount: number; nodes: { id: string }[] };
      }>(
        `query($b: ID!, $after: String) {
          monitors(first: 2, after: $after, filter: { boardId: $b }) { totalCount nodes { id } }
          incidents(first: 3, filter: { boardId: $b }) { totalCount nodes { id } } }`,
        { b: node.id, after },
      );
      expect(node.monitors).toEqual(alone.monitors);
      expect(node.incidents).toEqual(alone.incidents);
    }
    expect(nested.boards.nodes[0].monitors.nodes).toHaveLength(2);
    expect(nested.boards.nodes[0].incidents.totalCount).toBe(4);
  });
});
