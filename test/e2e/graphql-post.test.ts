import { TestApp, capturedLogLines, requestLogLine } from '../helpers/test-app';

/**
 * `POST /graphql` is served by its steps alone, without Express (src/server/http-app.ts); every
 * other spelling of the endpoint (`/graphql/`) still goes through Express's routes. The same
 * steps run on both, so each answer here must be the same on both paths, and right on its own.
 */
const PATHS = { direct: '/graphql', express: '/graphql/' } as const;
const ORIGIN = 'https://dash.example.com';

interface Answer {
  status: number;
  /** Every header but those that differ from one response to the next by nature. */
  headers: Record<string, string>;
  body: unknown;
  logged: Record<string, unknown>;
}

const VARYING = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

describe('POST /graphql without Express', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ corsOrigins: [ORIGIN] });
  });
  afterAll(() => app.close());

  async function both(init: () => RequestInit): Promise<Record<keyof typeof PATHS, Answer>> {
    const answers = {} as Record<keyof typeof PATHS, Answer>;
    for (const [name, path] of Object.entries(PATHS) as [keyof typeof PATHS, string][]) {
      const since = capturedLogLines.length;
      const response = await fetch(`${app.url}${path}`, { method: 'POST', ...init() });
      const text = await response.text();
      const headers = Object.fromEntries(
        [...response.headers].filter(([header]) => !VARYING.has(header)),
      );
      const logged = await requestLogLine(since, response.headers.get('x-request-id'));
      // The log line's own varying fields, and its path, which is the one asked for.
      const { reqId: _id, durationMs: _ms, time: _time, path: loggedPath, ...line } = logged;
      expect(loggedPath).toBe(path);
      answers[name] = { status: response.status, headers, body: JSON.parse(text), logged: line };
    }
    return answers;
  }

  const json =
    (body: string, headers: Record<string, string> = {}) =>
    () => ({
      headers: { ...app.asReadOnly().headers(), ...headers },
      body,
    });

  it('answers a query alike: status, headers, body and log line', async () => {
    const { direct, express } = await both(
      json(JSON.stringify({ query: 'query Who { viewer { permission } }' }), { origin: ORIGIN }),
    );
    expect(direct).toEqual(express);
    expect(direct.status).toBe(200);
    expect(direct.body).toMatchObject({ data: { viewer: { permission: 'READ_ONLY' } } });
    expect(direct.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': ORIGIN,
      'ratelimit-limit': expect.any(String),
    });
    expect(direct.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(direct.headers['x-powered-by']).toBeUndefined();
    expect(Number(direct.headers['content-length'])).toBe(
      Buffer.byteLength(JSON.stringify(direct.body)) + 1,
    );
    expect(direct.logged).toMatchObject({
      method: 'POST',
      status: 200,
      operationType: 'query',
      operationName: 'Who',
      outcome: 'ok',
      tokenId: app.identities.readOnly.token.id,
    });
  });

  it.each([
    ['a body that is not JSON', '{"query":', {}, 400, 'BAD_REQUEST'],
    [
      'a body over 1 MB',
      JSON.stringify({ query: `{ viewer { permission } }${' '.repeat(1 << 20)}` }),
      {},
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'an Accept header no JSON answer meets',
      '{"query":"{ viewer { id } }"}',
      { accept: 'application/xml' },
      406,
      'BAD_REQUEST',
    ],
    ['no token', '{"query":"{ viewer { id } }"}', { authorization: '' }, 401, 'UNAUTHENTICATED'],
  ])('refuses %s alike', async (_case, body, headers, status, code) => {
    const { direct, express } = await both(json(body, headers));
    expect(direct).toEqual(express);
    expect(direct.status).toBe(status);
    expect(direct.body).toMatchObject({ errors: [{ extensions: { code } }] });
    expect(direct.logged).toMatchObject({ status, outcome: code });
  });

  it('reads a query string on POST as Express did (Apollo ignores it; the body is the operation)', async () => {
    const response = await fetch(`${app.url}/graphql?query=%7B__typename%7D`, {
      method: 'POST',
      headers: app.asReadOnly().headers(),
      body: JSON.stringify({ query: '{ viewer { permission } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ data: { viewer: { permission: 'READ_ONLY' } } });
  });
});
