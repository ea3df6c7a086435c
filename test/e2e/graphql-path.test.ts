import { rawHttp } from '../helpers/http-client';
import { capturedLogLines, requestLogLine, TestApp } from '../helpers/test-app';

const ORIGIN = 'https://dash.example.com';
const NOTHING_HERE = 'Nothing here: the API is at /graphql.';

/**
 * Only `/graphql` (and `/graphql/`) is the API, in one spelling, with CORS origins set; every
 * other method than GET and POST is 405 before the token is read. Found by a hostile probe:
 * Express matched paths case-insensitively and CORS by prefix.
 */
describe('the one path of the API', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ corsOrigins: [ORIGIN] });
  });
  afterAll(() => app.close());

  async function boardNames(): Promise<string[]> {
    const { boards } = await app
      .asFullAccess()
      .data<{ boards: { nodes: { name: string }[] } }>('{ boards(first: 100) { nodes { name } } }');
    return boards.nodes.map((board) => board.name);
  }

  async function expectNothingHere(response: Response): Promise<void> {
    expect(response.status).toBe(404);
    const body = (await response.json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0]).toEqual({ message: NOTHING_HERE, extensions: { code: 'NOT_FOUND' } });
  }

  it.each(['/GRAPHQL', '/Graphql/', '/graphQL?x=1'])(
    'POST %s is a 404, and its mutation does not run',
    async (path) => {
      const response = await fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: app.asFullAccess().headers(),
        body: JSON.stringify({
          query: `mutation { createBoard(input: { name: "via ${path}" }) { id } }`,
        }),
      });
      await expectNothingHere(response);
      expect(await boardNames()).not.toContain(`via ${path}`);
    },
  );

  it.each(['/GRAPHQL?query=%7B__typename%7D', '/Console', '/Export/incidents.csv'])(
    'GET %s is a 404',
    async (path) => {
      await expectNothingHere(
        await fetch(`${app.url}${path}`, { headers: app.asReadOnly().headers() }),
      );
    },
  );

  it('OPTIONS under /graphql/ is a 404, not a preflight', async () => {
    const response = await fetch(`${app.url}/graphql/x`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    await expectNothingHere(response);
  });

  it('OPTIONS /graphql says what it allows, as a preflight and without one', async () => {
    const preflight = await fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('allow')).toBe('GET, POST, OPTIONS');
    const plain = await fetch(`${app.url}/graphql`, { method: 'OPTIONS' });
    expect(plain.status).toBe(204);
    expect(plain.headers.get('allow')).toBe('GET, POST, OPTIONS');
  });

  it.each([
    ['with a token', true],
    ['without a token', false],
  ])('PUT, PATCH, DELETE and HEAD on /graphql are 405 with Allow, %s', async (_name, token) => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'HEAD']) {
      const since = capturedLogLines.length;
      const response = await fetch(`${app.url}/graphql?query=%7B__typename%7D`, {
        method,
        headers: token ? app.asFullAccess().headers() : { 'content-type': 'application/json' },
      });
      expect([method, response.status]).toEqual([method, 405]);
      expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS');
      if (method !== 'HEAD') {
        const body = (await response.json()) as { errors: { message: string }[] };
        expect(body.errors[0].message).toBe('GraphQL is served over GET and POST only.');
      }
      const line = await requestLogLine(since, response.headers.get('x-request-id'));
      expect(line.outcome).toBe('BAD_REQUEST');
    }
  });

  it.each([
    ['its first letter encoded', (s: string) => `/graphql/%73${s.slice(1)}`],
    ['then a bad escape', (s: string) => `/graphql/%73${s.slice(1)}%zz`],
    ['after a bad escape', (s: string) => `/graphql/%zz/%73${s.slice(1)}`],
    ['after bytes that are not UTF-8', (s: string) => `/graphql/%C0%AF%73${s.slice(1)}`],
    ['encoded twice', (s: string) => `/graphql/%2573${s.slice(1)}`],
    [
      'every letter encoded, then a lone %',
      (s: string) =>
        `/${[...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')}%`,
    ],
  ])('logs a secret in the path, %s, as its prefix (hostile probes)', async (_name, pathOf) => {
    const secret = app.identities.readOnly.secret;
    const since = capturedLogLines.length;
    const answer = await rawHttp(
      app.url,
      [`GET ${pathOf(secret)} HTTP/1.1`, 'Host: localhost', 'Connection: close', '', ''].join(
        '\r\n',
      ),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 (400|404) /);
    const requestId = /x-request-id: ([0-9a-f-]+)/i.exec(answer)?.[1] ?? null;
    const line = JSON.stringify(await requestLogLine(since, requestId));
    expect(line).toContain(secret.slice(4, 12));
    expect(line).not.toContain(secret.slice(12));
    expect(line).not.toContain(
      [...secret.slice(12)].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(''),
    );
  });
});
