import { Board } from '../../src/boards/board.entity';
import { generateSecret } from '../../src/tokens/secret';
import { rawHttp } from '../helpers/http-client';
import { capturedLogLines, requestLogLine, TestApp } from '../helpers/test-app';

interface ErrorJson {
  message: string;
  extensions?: { code?: string; reason?: string } & Record<string, unknown>;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** No response may carry a stack trace: neither Apollo's `stacktrace` nor `    at file:line` lines. */
function expectNoInternals(text: string): void {
  expect(text).not.toContain('stacktrace');
  expect(text).not.toContain('    at ');
  expect(text).not.toMatch(/\bat [^\s"]+ \(?[^\s"]*:\d+:\d+\)?/);
}

/** A request over real HTTP; every response text is checked for internals as it arrives. */
async function send(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  expectNoInternals(text);
  return { status: response.status, headers: response.headers, text };
}

/** The body must be the JSON error shape `{"errors": [...]}` with at least one error. */
function errorsOf(response: RawResponse): ErrorJson[] {
  expect(response.headers.get('content-type')).toMatch(/json/);
  const body = JSON.parse(response.text) as { errors?: ErrorJson[] };
  expect(Array.isArray(body.errors)).toBe(true);
  const errors = body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
  }
  return errors;
}

function codeOf(response: RawResponse): string | undefined {
  return errorsOf(response)[0].extensions?.code;
}

const VIEWER = '{ viewer { permission } }';

describe('the HTTP surface', () => {
  let app: TestApp;
  let graphql: string;
  beforeEach(async () => {
    app = await TestApp.start();
    graphql = `${app.url}/graphql`;
  });
  afterEach(() => app.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    send(graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

  describe('health', () => {
    it('GET /healthz answers 200', async () => {
      const response = await send(`${app.url}/healthz`);
      expect(response.status).toBe(200);
    });

    it('GET /readyz answers 200 {status: "ready"} on a migrated database', async () => {
      const response = await send(`${app.url}/readyz`);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ status: 'ready' });
    });
  });

  describe('CSRF prevention', () => {
    it('refuses a text/plain POST without Authorization with 400 BAD_REQUEST, before authentication', async () => {
      const response = await send(graphql, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: VIEWER }),
      });
      expect(response.status).toBe(400);
      expect(response.status).not.toBe(401);
      expect(response.headers.get('www-authenticate')).toBeNull();
      const errors = errorsOf(response);
      expect(errors[0].extensions?.code).toBe('BAD_REQUEST');
      expect(errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')).toBe(false);
      // What to send instead, not Apollo's text naming its own preflight headers.
      expect(errors[0].message).toBe(
        'Refused as a possible cross-site request: send a POST with Content-Type: application/json, or a GET with the Authorization header.',
      );
    });

    it('lets a GET carrying Authorization through, and runs the query', async () => {
      const response = await send(`${graphql}?query=${encodeURIComponent(VIEWER)}`, {
        headers: bearer(app.identities.readOnly.secret),
      });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({
        data: { viewer: { permission: 'READ_ONLY' } },
        extensions: { cost: expect.any(Object) },
      });
    });
  });

  describe('transport refusals are JSON bodies', () => {
    const raw = (bytes: string) => rawHttp(app.url, bytes);

    it.each([
      [
        'headers over 16 KB: 431',
        `GET /graphql HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        /^HTTP\/1\.1 431 /,
        /16 KB/,
      ],
      ['bytes that are not HTTP: 400', 'HELLO THERE\r\n\r\n', /^HTTP\/1\.1 400 /, /not valid HTTP/],
      // Found by a hostile probe: Node closed the socket of a CONNECT without an answer.
      [
        'a CONNECT, which no route serves: 405',
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        /^HTTP\/1\.1 405 /,
        /not a proxy/,
      ],
      // Found by a hostile probe: these had no request id, no nosniff and no log line.
      [
        'a target that is no path: 400',
        'POST graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
        /^HTTP\/1\.1 400 /,
        /not valid HTTP/,
      ],
      // Found by a hostile probe: Node answered an empty 400 of its own.
      [
        'an HTTP/1.1 request without a Host header: 400',
        'POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
        /^HTTP\/1\.1 400 /,
        /Host header/,
      ],
    ])(
      'answers what the HTTP parser refuses, %s, as JSON, logged',
      async (_name, bytes, status, message) => {
        const since = capturedLogLines.length;
        const answer = await raw(bytes);
        expect(answer).toMatch(status);
        expect(answer).toMatch(/content-type: application\/json/i);
        expect(answer).toMatch(/x-content-type-options: nosniff/i);
        const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
          errors: ErrorJson[];
        };
        expect(body.errors).toEqual([
          { message: expect.stringMatching(message), extensions: { code: 'BAD_REQUEST' } },
        ]);
        const requestId = /x-request-id: ([0-9a-f-]+)/i.exec(answer)?.[1] ?? null;
        expect(await requestLogLine(since, requestId)).toMatchObject({
          status: Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]),
          outcome: 'BAD_REQUEST',
        });
      },
    );

    it('refuses a mutation over GET with 405 and changes nothing', async () => {
      const mutation = 'mutation { createBoard(input: { name: "via GET" }) { id } }';
      const response = await send(`${graphql}?query=${encodeURIComponent(mutation)}`, {
        headers: bearer(app.identities.full.secret),
      });
      expect(response.status).toBe(405);
      expect(codeOf(response)).toBe('BAD_REQUEST');
      expect(
        await app.services.db.reader.countBy(Board, { organizationId: app.organization.id }),
      ).toBe(0);
    });

    it('refuses malformed JSON with 400 BAD_REQUEST', async () => {
      const response = await post('{"query": "{ viewer { permission } ', {
        ...bearer(app.identities.full.secret),
      });
      expect(response.status).toBe(400);
      const body = JSON.parse(response.text) as { errors: ErrorJson[] };
      expect(body).toEqual({
        errors: [expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })],
      });
      expect(body.errors[0].message).toMatch(/JSON/);
    });

    it('refuses a body over 1 MB with 413 PAYLOAD_TOO_LARGE', async () => {
      const padding = 'x'.repeat(1024 * 1024 + 1);
      const response = await post(
        JSON.stringify({ query: VIEWER, variables: { padding } }),
        bearer(app.identities.full.secret),
      );
      expect(response.status).toBe(413);
      expect(codeOf(response)).toBe('PAYLOAD_TOO_LARGE');
    });

    it('accepts a body just under 1 MB (the limit is not lower than documented)', async () => {
      const padding = 'x'.repeat(1000 * 1000);
      const response = await post(
        JSON.stringify({ query: VIEWER, variables: { padding } }),
        bearer(app.identities.full.secret),
      );
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({
        data: { viewer: { permission: 'FULL_ACCESS' } },
        extensions: { cost: expect.any(Object) },
      });
    });

    it('refuses a batched (array) body with 400 BAD_REQUEST', async () => {
      const response = await post(
        JSON.stringify([{ query: VIEWER }, { query: VIEWER }]),
        bearer(app.identities.full.secret),
      );
      expect(response.status).toBe(400);
      expect(codeOf(response)).toBe('BAD_REQUEST');
      expect(errorsOf(response)[0].message).toBe(
        'Batched requests (a JSON array) are not supported; send one operation per request.',
      );
    });

    it('refuses a POST without a JSON body with a message that says what to send', async () => {
      const response = await send(graphql, {
        method: 'POST',
        headers: { ...bearer(app.identities.full.secret), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(codeOf(response)).toBe('BAD_REQUEST');
      expect(errorsOf(response)[0].message).toMatch(
        /^A POST needs Content-Type: application\/json/,
      );
    });

    it('answers an unknown path with 404 and a JSON body', async () => {
      const response = await send(`${app.url}/no/such/path`);
      expect(response.status).toBe(404);
      expect(codeOf(response)).toBe('NOT_FOUND');
    });

    it('answers an unknown path for POST with 404 and a JSON body', async () => {
      const response = await send(`${app.url}/graphql-v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: VIEWER }),
      });
      expect(response.status).toBe(404);
      expect(codeOf(response)).toBe('NOT_FOUND');
    });

    it('gives a parse error as GRAPHQL_PARSE_FAILED without internals', async () => {
      const response = await post(
        JSON.stringify({ query: '{ viewer { ' }),
        bearer(app.identities.full.secret),
      );
      expect(response.status).toBe(400);
      expect(codeOf(response)).toBe('GRAPHQL_PARSE_FAILED');
    });
  });

  describe('submitted values are not echoed', () => {
    const CREATE = `mutation($input: CreateApiTokenInput!) {
      createApiToken(input: $input) { secret }
    }`;
    it.each([
      ['a wrong DateTime', { name: 'ci', permission: 'READ_ONLY', expiresAt: 'hunter2-tomorrow' }],
      ['a wrong enum value', { name: 'ci', permission: 'hunter2' }],
      ['a wrong type', { name: { value: 'hunter2' }, permission: 'READ_ONLY' }],
      ['an unknown field', { name: 'ci', permission: 'READ_ONLY', extra: 'hunter2' }],
      ['a value containing "; "', { name: 'ci', permission: 'READ_ONLY', expiresAt: 'x; hunter2' }],
    ])('%s gives BAD_USER_INPUT without the value', async (_case, input) => {
      const response = await post(
        JSON.stringify({ query: CREATE, variables: { input } }),
        bearer(app.identities.full.secret),
      );
      expect(response.status).toBe(400);
      expect(codeOf(response)).toBe('BAD_USER_INPUT');
      expect(response.text).not.toContain('hunter2');
    });
  });

  describe('401 responses', () => {
    async function expectUnauthenticated(
      headers: Record<string, string>,
      reason: string,
    ): Promise<void> {
      const response = await post(JSON.stringify({ query: VIEWER }), headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const errors = errorsOf(response);
      expect(errors).toHaveLength(1);
      expect(errors[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(errors[0].extensions?.reason).toBe(reason);
      expect(JSON.parse(response.text)).not.toHaveProperty('data.viewer');
    }

    it('MISSING when there is no Authorization header', async () => {
      await expectUnauthenticated({}, 'MISSING');
    });

    it('MALFORMED for a short sgp_ secret', async () => {
      await expectUnauthenticated({ authorization: 'Bearer sgp_short' }, 'MALFORMED');
    });

    it('MALFORMED for another scheme (Basic)', async () => {
      await expectUnauthenticated({ authorization: 'Basic xyz' }, 'MALFORMED');
    });

    it('MALFORMED for a 40-character secret whose checksum does not match', async () => {
      const secret = app.identities.full.secret;
      const last = secret.at(-1);
      const flipped = secret.slice(0, -1) + (last === 'A' ? 'B' : 'A');
      expect(flipped).toHaveLength(40);
      expect(flipped).not.toBe(secret);
      await expectUnauthenticated(bearer(flipped), 'MALFORMED');
    });

    it('UNKNOWN for a well-formed secret that is not stored', async () => {
      await expectUnauthenticated(bearer(generateSecret()), 'UNKNOWN');
    });

    it('EXPIRED, INACTIVE and REVOKED for tokens in those states', async () => {
      await expectUnauthenticated(bearer(app.identities.expired.secret), 'EXPIRED');
      await expectUnauthenticated(bearer(app.identities.inactive.secret), 'INACTIVE');
      await expectUnauthenticated(bearer(app.identities.revoked.secret), 'REVOKED');
    });

    it('the same refusal for a GET without a token', async () => {
      const response = await send(`${graphql}?query=${encodeURIComponent(VIEWER)}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(errorsOf(response)[0].extensions?.reason).toBe('MISSING');
    });
  });
});

describe('introspection in production', () => {
  const INTROSPECTION = '{ __schema { queryType { name } } }';
  let savedNodeEnv: string | undefined;
  let app: TestApp | undefined;

  beforeEach(() => {
    savedNodeEnv = process.env.NODE_ENV;
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (savedNodeEnv === undefined) {
      delete process.env.NODE_ENV;
    } else {
      process.env.NODE_ENV = savedNodeEnv;
    }
  });

  async function startInProduction(): Promise<TestApp> {
    process.env.NODE_ENV = 'production';
    app = await TestApp.start();
    return app;
  }

  const introspect = (started: TestApp, headers: Record<string, string>) =>
    send(`${started.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: INTROSPECTION }),
    });

  it('works for a READ_ONLY token with NODE_ENV=production', async () => {
    const started = await startInProduction();
    const response = await introspect(started, {
      authorization: `Bearer ${started.identities.readOnly.secret}`,
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
      extensions: { cost: expect.any(Object) },
    });
  });

  it('is refused with 401 without a token, with NODE_ENV=production', async () => {
    const started = await startInProduction();
    const response = await introspect(started, {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const errors = errorsOf(response);
    expect(errors[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(errors[0].extensions?.reason).toBe('MISSING');
    expect(response.text).not.toContain('queryType');
  });

  it('hides internals of a failing request in production too', async () => {
    const started = await startInProduction();
    const response = await introspect(started, { authorization: 'Bearer sgp_short' });
    expect(response.status).toBe(401);
    expect(errorsOf(response)[0].extensions?.reason).toBe('MALFORMED');
  });
});
