import { TestApp } from '../helpers/test-app';

const SETUP_BOARD = `mutation { createBoard(input: {name: "Ops"}) { id } }`;
const SETUP_MONITOR = `mutation($boardId: ID!) {
  createMonitor(input: {boardId: $boardId, displayName: "Feed", monitorType: CUSTOM}) { id } }`;
const SET_STATUS = `mutation($id: ID!, $status: MonitorStatus!) { setMonitorStatus(id: $id, status: $status) { id } }`;
const SETUP_INCIDENT = `mutation($boardId: ID!, $name: String!) {
  createIncident(input: {boardId: $boardId, name: $name, severity: MINOR}) { id } }`;

/** Every connection, with the path to its pageInfo; `$after` is the cursor under test. */
const LISTS: [string, string, string[]][] = [
  ['boards', 'query($after: String) { boards(first: 1, after: $after) { PAGE } }', ['boards']],
  [
    'monitors',
    'query($after: String) { monitors(first: 1, after: $after) { PAGE } }',
    ['monitors'],
  ],
  [
    'incidents',
    'query($after: String) { incidents(first: 1, after: $after) { PAGE } }',
    ['incidents'],
  ],
  [
    'incidents by updatedAt',
    'query($after: String) { incidents(first: 1, after: $after, orderBy: UPDATED_AT_ASC) { PAGE } }',
    ['incidents'],
  ],
  [
    'apiTokens',
    'query($after: String) { apiTokens(first: 1, after: $after) { PAGE } }',
    ['apiTokens'],
  ],
  [
    'auditEvents',
    'query($after: String) { auditEvents(first: 1, after: $after) { PAGE } }',
    ['auditEvents'],
  ],
  [
    'Monitor.statusEvents',
    'query($id: ID!, $after: String) { monitor(id: $id) { statusEvents(first: 1, after: $after) { PAGE } } }',
    ['monitor', 'statusEvents'],
  ],
  [
    'Board.incidents',
    'query($boardId: ID!, $after: String) { board(id: $boardId) { incidents(first: 1, after: $after) { PAGE } } }',
    ['board', 'incidents'],
  ],
];
const PAGE = 'nodes { id } pageInfo { endCursor }';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (cursor: string) =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string, string];

// API.md section 6: a malformed cursor is BAD_USER_INPUT. Every decoded cursor is validated
// before it reaches the database: on PostgreSQL a NUL or a date out of range was a database error.
describe('crafted cursors', () => {
  let app: TestApp;
  let ids: { boardId: string; id: string };
  beforeAll(async () => {
    app = await TestApp.start();
    const full = app.identities.full.secret;
    const run = async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const result = await app.execute<T>(full, query, variables);
      expect(result.errors).toBeUndefined();
      return result.data as T;
    };
    const { createBoard } = await run<{ createBoard: { id: string } }>(SETUP_BOARD);
    await run(SETUP_BOARD);
    const { createMonitor } = await run<{ createMonitor: { id: string } }>(SETUP_MONITOR, {
      boardId: createBoard.id,
    });
    await run(SETUP_MONITOR, { boardId: createBoard.id });
    for (const status of ['UP', 'DOWN', 'UP']) {
      await run(SET_STATUS, { id: createMonitor.id, status });
    }
    for (const name of ['one', 'two']) {
      await run(SETUP_INCIDENT, { boardId: createBoard.id, name });
    }
    ids = { boardId: createBoard.id, id: createMonitor.id };
  });
  afterAll(() => app.close());

  const page = async (query: string, path: string[], after: string | null) => {
    const result = await app.execute(app.identities.full.secret, query.replace('PAGE', PAGE), {
      ...(query.includes('$boardId') ? { boardId: ids.boardId } : {}),
      ...(query.includes('$id') ? { id: ids.id } : {}),
      after,
    });
    let node: unknown = result.data;
    for (const key of path) {
      node = (node as Record<string, unknown> | null)?.[key];
    }
    return {
      result,
      endCursor: (node as { pageInfo?: { endCursor: string } })?.pageInfo?.endCursor,
    };
  };

  describe.each(LISTS)('%s', (_name, query, path) => {
    let genuine: [string, string, string];
    beforeAll(async () => {
      const first = await page(query, path, null);
      expect(first.result.errors).toBeUndefined();
      genuine = decode(first.endCursor ?? '');
    });

    it('follows a genuine cursor', async () => {
      const next = await page(query, path, encode(genuine));
      expect(next.result.errors).toBeUndefined();
    });

    // Found by review: an empty `after` read as no cursor, so a client that sent `endCursor ?? ""`
    // got the first page again, and a sync looped over it. No cursor is null or left out.
    it('refuses an empty cursor with BAD_USER_INPUT', async () => {
      const { result } = await page(query, path, '');
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.message).toMatch(/after must be/);
      expect(result.errors?.[0]?.extensions?.field).toBe('after');
    });

    // Found by a hostile probe: Node's base64url decoder skips what is not of its alphabet, so a
    // genuine cursor with a space, a newline, padding or a stray character read as the cursor.
    it.each([
      ['a leading space', (c: string) => ` ${c}`],
      ['a trailing newline', (c: string) => `${c}\n`],
      ['a space inside', (c: string) => `${c.slice(0, 5)} ${c.slice(5)}`],
      ['padding', (c: string) => `${c}==`],
      ['a character of standard base64 inside', (c: string) => `${c.slice(0, 5)}+${c.slice(5)}`],
      ['a stray character inside', (c: string) => `${c.slice(0, 5)}!${c.slice(5)}`],
    ])('refuses a genuine cursor with %s', async (_case, alter) => {
      const { result } = await page(query, path, alter(encode(genuine)));
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    });

    it.each([
      ['a NUL in the id', (c: string[]) => [c[0], '\u0000x', c[2]]],
      ['an id longer than any id', (c: string[]) => [c[0], 'a'.repeat(37), c[2]]],
      ['a date past year 9999', (c: string[]) => ['+275760-09-13T00:00:00.000Z', c[1], c[2]]],
      ['a date before year 1', (c: string[]) => ['-000001-01-01T00:00:00.000Z', c[1], c[2]]],
      ['a date before 1970', (c: string[]) => ['1969-12-31T23:59:59.999Z', c[1], c[2]]],
      ['a date not in the form cursors have', (c: string[]) => ['2020-01-01', c[1], c[2]]],
      ['a NUL in the date', (c: string[]) => ['2020-01-01T00:00:00.000Z\u0000', c[1], c[2]]],
    ])('refuses %s with BAD_USER_INPUT', async (_case, craft) => {
      const { result } = await page(query, path, encode(craft(genuine)));
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.message).toMatch(/after must be/);
    });
  });

  // Found with the empty cursor: fields of one level batched by their cursor took "" for none,
  // so beside a field without a cursor an empty one shared its batch and was never refused.
  it.each([
    ['Board.monitors', 'monitors'],
    ['Board.incidents', 'incidents'],
  ])('refuses an empty cursor in %s beside the same field without one', async (_name, field) => {
    const result = await app.execute(
      app.identities.full.secret,
      `{ boards(first: 5) { nodes {
        none: ${field}(first: 1) { nodes { id } }
        empty: ${field}(first: 1, after: "") { nodes { id } } } } }`,
    );
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.errors?.every((e) => e.extensions?.code === 'BAD_USER_INPUT')).toBe(true);
    expect(result.errors?.every((e) => e.path?.includes('empty'))).toBe(true);
  });

  it('refuses an empty cursor in Monitor.statusEvents beside the same field without one', async () => {
    const result = await app.execute(
      app.identities.full.secret,
      `{ monitors(first: 5) { nodes {
        none: statusEvents(first: 1) { nodes { id } }
        empty: statusEvents(first: 1, after: "") { nodes { id } } } } }`,
    );
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.errors?.every((e) => e.extensions?.code === 'BAD_USER_INPUT')).toBe(true);
    expect(result.errors?.every((e) => e.path?.includes('empty'))).toBe(true);
  });

  // Found by a new user: boards, monitors and apiTokens all sort by createdAt ascending, and a
  // cursor named only its order, so one list's cursor paged another from its position. A board's
  // incidents are the incidents list (one board's part of it, in the same order): not another.
  const sameList = (a: string, b: string) =>
    [a, b].sort().join(' and ') === 'Board.incidents and incidents';
  const pairs = LISTS.flatMap((from) =>
    LISTS.filter((to) => to !== from && !sameList(from[0], to[0])).map((to) => ({ from, to })),
  );
  it.each(pairs.map(({ from, to }) => [from[0], to[0], from, to] as const))(
    'refuses a %s cursor in %s',
    async (_from, _to, [, fromQuery, fromPath], [, toQuery, toPath]) => {
      const { endCursor } = await page(fromQuery, fromPath, null);
      expect(endCursor).toEqual(expect.any(String));
      const { result } = await page(toQuery, toPath, endCursor ?? null);
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    },
  );
});
