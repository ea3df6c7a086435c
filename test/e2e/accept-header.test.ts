import { TestApp, capturedLogLines, requestLogLine } from '../helpers/test-app';

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

    expect(await requestLogLine(logged, response.headers.get('x-request-id'))).toMatchObject({
      status: 406,
      outcome: 'BAD_REQUEST',
    });
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
