import { TestApp, capturedLogLines } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * README, "GraphQL over HTTP": an Accept header that allows neither JSON answer gets 406
 * BAD_REQUEST. Found by a new user: Apollo refused it only after executing the operation, so a
 * mutation sent so ran (and was logged "ok") while its client was told it had failed.
 */
describe('an Accept header that allows no JSON answer', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  const boardCount = async () =>
    (await app.asFullAccess().data<{ boards: { totalCount: number } }>('{ boards { totalCount } }'))
      .boards.totalCount;

  it('is refused with 406 before the mutation runs, and counted as refused', async () => {
    const before = await boardCount();
    const logged = capturedLogLines.length;
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { ...app.asFullAccess().headers(), accept: 'application/xml' },
      body: JSON.stringify({ query: 'mutation { createBoard(input: { name: "Twice?" }) { id } }' }),
    });
    expect(response.status).toBe(406);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
    expect(await boardCount()).toBe(before);

    const requestId = response.headers.get('x-request-id');
    const lineOf = () =>
      capturedLogLines
        .slice(logged)
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((l) => l.reqId === requestId);
    // The request's line is written once the response has gone out: wait for it, bounded.
    await until(() => lineOf() !== undefined, 'the request log line');
    expect(lineOf()).toMatchObject({ status: 406, outcome: 'BAD_REQUEST' });
  });

  it('lets application/json, the GraphQL response type, */* and no Accept header through', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json', '*/*', null]) {
      const headers: Record<string, string> = { ...app.asFullAccess().headers() };
      if (accept !== null) {
        headers.accept = accept;
      }
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: '{ viewer { permission } }' }),
      });
      expect({ accept, status: response.status }).toEqual({ accept, status: 200 });
    }
  });
});
