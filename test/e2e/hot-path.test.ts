import { everyStatementOf } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';
import { TEST_DB } from '../helpers/test-database';

/**
 * The hot path of every request (issue 17): authentication, the address's auth-failure count,
 * the token's cost budget and last use cost one SQL statement besides the query's own (the
 * issue allows two), on SQLite and on PostgreSQL (`STATUSGRAPH_TEST_DB=postgres`, where the budget and the counters
 * are shared rows). Counted over real HTTP requests, every statement sent to the database
 * observed (TypeORM's and those sent straight to PostgreSQL's pool), nothing mocked.
 */
describe(`statements on the hot path (${TEST_DB})`, () => {
  let app: TestApp;
  let boardId: string;

  beforeAll(async () => {
    app = await TestApp.start();
    ({
      createBoard: { id: boardId },
    } = await app.data<{ createBoard: { id: string } }>(
      'mutation { createBoard(input: { name: "Ops" }) { id } }',
    ));
  });
  afterAll(() => app.close());

  /**
   * The statements of one request with the read-only token, after one request before it (the
   * token's first use is written at once, in the background: flushed before counting).
   */
  async function statementsOfRequest(
    query: string,
    variables?: Record<string, unknown>,
    client = app.asReadOnly(),
  ) {
    await client.data(query, variables);
    await app.services.lastUse.flush();
    let data: unknown;
    const statements = await everyStatementOf(app.services.db, async () => {
      data = await client.data(query, variables);
    });
    return { data, statements };
  }

  it('{ viewer { permission } }: the token look-up, nothing else', async () => {
    const { data, statements } = await statementsOfRequest('{ viewer { permission } }');
    expect(data).toEqual({ viewer: { permission: 'READ_ONLY' } });
    // The query itself reads nothing: what is left is the hot path.
    expect(statements).toHaveLength(1);
    expectHotPath(statements);
  });

  /**
   * One token look-up (carrying, on PostgreSQL, the address's failure count and the budget's take:
   * no statement of their own; budgets are in memory on SQLite), no last-use write.
   */
  function expectHotPath(statements: string[]) {
    expect(statements.filter((sql) => /"api_token"/.test(sql))).toHaveLength(1);
    expect(
      statements.filter((sql) => /rate_limit_counter/.test(sql) && !/"api_token"/.test(sql)),
    ).toEqual([]);
    // The budget's points were taken in the look-up's statement (a document seen before).
    expect(statements.filter((sql) => /cost_budget/.test(sql) && !/"api_token"/.test(sql))).toEqual(
      [],
    );
    expect(statements.filter((sql) => /^\s*UPDATE/i.test(sql))).toEqual([]);
  }

  it('board(id) { name }: one statement besides the board read', async () => {
    const { data, statements } = await statementsOfRequest(
      'query($id: ID!) { board(id: $id) { name } }',
      { id: boardId },
    );
    expect(data).toEqual({ board: { name: 'Ops' } });
    const query = statements.filter((sql) => /FROM "board"/.test(sql));
    expect(query).toHaveLength(1);
    expect(statements.length - query.length).toBe(1);
    expectHotPath(statements);
  });

  it('a board-scoped token: its boards come with the look-up, no statement of their own', async () => {
    const { createApiToken } = await app.data<{ createApiToken: { secret: string } }>(
      `mutation($boardIds: [ID!]) {
        createApiToken(input: { name: "Wall", permission: READ_ONLY, boardIds: $boardIds }) { secret }
      }`,
      { boardIds: [boardId] },
    );
    const { data, statements } = await statementsOfRequest(
      'query($id: ID!) { board(id: $id) { name } }',
      { id: boardId },
      app.client(createApiToken.secret),
    );
    // Its boards were read in the look-up's statement, not by one of their own.
    expect(data).toEqual({ board: { name: 'Ops' } });
    expect(
      statements.filter((sql) => /api_token_board/.test(sql) && !/secret_hash/.test(sql)),
    ).toEqual([]);
    const query = statements.filter((sql) => /FROM "board"/.test(sql));
    expect(query).toHaveLength(1);
    expect(statements.length - query.length).toBe(1);
    expectHotPath(statements);
  });
});
