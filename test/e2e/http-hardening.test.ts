import { PLAYGROUND_ASSETS } from '../../src/server/playground/playground';
import { connect } from 'node:net';
import { rawHttp } from '../helpers/http-client';
import { until } from '../helpers/wait';
import { capturedLogLines, requestLogLine, TestApp } from '../helpers/test-app';

/** Issue 14 item 8: the smaller rough edges of the HTTP surface. */
describe('HTTP hardening', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ metricsToken: 'metrics-secret-for-tests' });
  });
  afterAll(() => app.close());

  const json = async (response: Response) =>
    JSON.parse(await response.text()) as {
      errors?: { message: string; extensions?: { code?: string } }[];
    };

  it.each([
    [
      'POST /graphql',
      () =>
        fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: app.asFullAccess().headers(),
          body: '{"query":"{ viewer { permission } }"}',
        }),
    ],
    ['GET /healthz', () => fetch(`${app.url}/healthz`)],
    ['GET /nowhere', () => fetch(`${app.url}/nowhere`)],
    [
      'a 401',
      () =>
        fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ viewer { permission } }"}',
        }),
    ],
    [
      'the playground page',
      () => fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } }),
    ],
  ])('sends X-Content-Type-Options: nosniff on %s', async (_name, send) => {
    const response = await send();
    await response.arrayBuffer();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  /** The raw answer to a request line of `target`, with `headers`. */
  const rawGet = (target: string, headers: string[] = []) =>
    rawHttp(
      app.url,
      [
        `GET ${target} HTTP/1.1`,
        `Host: ${new URL(app.url).hostname}`,
        ...headers,
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    );

  // Found by a hostile probe: a target in absolute form (as a proxy sends it) went through Node's
  // legacy URL parser, which printed a deprecation warning with the whole URL (a secret in its
  // query included) to stderr for one it found invalid, and the router answered an HTML 404.
  it('serves a request target in absolute form as its path, whatever its host', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const secret = app.identities.readOnly.secret;
      const invalid = await rawGet(`http://[::1/graphql?access_token=${secret}`);
      expect(invalid).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(invalid).toMatch(/content-type: application\/json/i);
      expect(invalid).not.toContain(secret);
      const query = encodeURIComponent('{ viewer { permission } }');
      const proxied = await rawGet(`http://example.com/graphql?query=${query}`, [
        `Authorization: Bearer ${secret}`,
      ]);
      expect(proxied).toMatch(/^HTTP\/1\.1 200 /);
      expect(proxied).toContain('"permission":"READ_ONLY"');
      await new Promise<void>((done) => setImmediate(done));
      expect(warnings.map((warning) => warning.message)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  // Found by a hostile probe: the request log wrote the path as sent, a secret in it included,
  // and a folder of the static assets answered an HTML redirect that echoed the query string.
  it('logs a secret sent in the path as its prefix, and answers a folder of assets 404 in JSON', async () => {
    const secret = app.identities.readOnly.secret;
    const since = capturedLogLines.length;
    for (const path of [`/graphql/${secret}`, `/${secret}`, `/export/${secret}`]) {
      const response = await fetch(`${app.url}${path}`, { redirect: 'manual' });
      await response.text();
      const line = await requestLogLine(since, response.headers.get('x-request-id'));
      expect(String(line.path)).toContain(secret.slice(0, 12));
      expect(String(line.path)).not.toContain(secret);
    }
    expect(capturedLogLines.slice(since).join('\n')).not.toContain(secret);
    for (const folder of ['/console/js', PLAYGROUND_ASSETS]) {
      const response = await fetch(`${app.url}${folder}?access_token=${secret}`, {
        redirect: 'manual',
      });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).not.toContain(secret);
    }
  });

  it('answers OPTIONS /graphql without CORS with 204 and Allow', async () => {
    const response = await fetch(`${app.url}/graphql`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    `${PLAYGROUND_ASSETS}/..%2f..%2fpackage.json`,
    `${PLAYGROUND_ASSETS}/%2e%2e/%2e%2e/package.json`,
    `${PLAYGROUND_ASSETS}/x/..%2f..%2f..%2fetc/passwd`,
    `${PLAYGROUND_ASSETS}/%00`,
    `${PLAYGROUND_ASSETS}/%E0%A4%A`,
    '/playground/..%2f..%2fpackage.json',
  ])('answers a path-traversal attempt (%s) with 404 and a true message', async (path) => {
    const response = await fetch(`${app.url}${path}`);
    expect(response.status).toBe(404);
    const body = await json(response);
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(body.errors?.[0]?.message).not.toMatch(/JSON/);
    expect(body.errors?.[0]?.message).toMatch(/Nothing here/);
  });

  it.each([
    ['GET', '/graphql/anything?query=%7B__typename%7D'],
    ['POST', '/graphql/anything'],
    ['POST', '/graphql/graphql'],
  ])(
    'answers %s %s with 404: only /graphql is the API (found by a hostile probe)',
    async (method, path) => {
      // Apollo answered every path under /graphql: 400 "cross-site request" for a GET, the
      // operation run for a POST.
      const response = await fetch(`${app.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${app.identities.readOnly.secret}`,
          'content-type': 'application/json',
        },
        body: method === 'POST' ? JSON.stringify({ query: '{ __typename }' }) : undefined,
      });
      expect(response.status).toBe(404);
      const body = await json(response);
      expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(body.errors?.[0]?.message).toBe('Nothing here: the API is at /graphql.');
    },
  );

  it('answers variables nested thousands deep without overflowing the stack (found by a hostile probe)', async () => {
    // 5,000 levels (about 30 KB): the check for U+0000 walked them recursively, and answered 500.
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: app.asReadOnly().headers(),
      body: `{"query":"{ viewer { permission } }","variables":{"v":${deep}}}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ data: { viewer: { permission: 'READ_ONLY' } } });
  });

  it('refuses a body whose gzip is corrupt with 400, not "nothing here" (found by a hostile probe)', async () => {
    const since = capturedLogLines.length;
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { ...app.asReadOnly().headers(), 'content-encoding': 'gzip' },
      body: 'not gzip',
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
    expect(body.errors?.[0]?.message).toMatch(/could not be read/);
    expect(await requestLogLine(since, response.headers.get('x-request-id'))).toMatchObject({
      status: 400,
      outcome: 'BAD_REQUEST',
    });
  });

  it.each([
    [
      'an encoding the server does not inflate',
      { 'content-encoding': 'zstdx' },
      415,
      'The request body’s Content-Encoding is not supported: send it uncompressed, or as gzip, deflate or br.',
    ],
    [
      'a charset other than UTF-8',
      { 'content-type': 'application/json; charset=latin1' },
      415,
      'The request body’s charset is not supported: send UTF-8.',
    ],
  ])(
    'refuses %s with its own reason, not "not valid JSON" (found by a hostile probe)',
    async (_name, headers, status, message) => {
      const since = capturedLogLines.length;
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { ...app.asReadOnly().headers(), ...headers },
        body: '{"query":"{ viewer { permission } }"}',
      });
      expect(response.status).toBe(status);
      const body = await json(response);
      expect(body.errors).toEqual([{ message, extensions: { code: 'BAD_REQUEST' } }]);
      expect(await requestLogLine(since, response.headers.get('x-request-id'))).toMatchObject({
        status,
        outcome: 'BAD_REQUEST',
      });
    },
  );

  it('logs a client that left in the middle of its body as gone, not as a bad request (found by a hostile probe)', async () => {
    const since = capturedLogLines.length;
    const { hostname, port } = new URL(app.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    // A request before it on the same connection: once its answer is back, the server has read
    // the POST's head too (a pipelined request is parsed as it arrives) and is reading its body.
    const answered = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => chunk.toString().includes(' 200 ') && resolve()),
    );
    socket.write(
      [
        'GET /healthz HTTP/1.1',
        `Host: ${hostname}`,
        '',
        'POST /graphql HTTP/1.1',
        `Host: ${hostname}`,
        `Authorization: Bearer ${app.identities.readOnly.secret}`,
        'Content-Type: application/json',
        'Content-Length: 1000',
        '',
        '{"query":',
      ].join('\r\n'),
    );
    await answered;
    socket.destroy();
    await until(
      () => capturedLogLines.slice(since).some((line) => line.includes('"path":"/graphql"')),
      'the request’s log line',
    );
    const line = capturedLogLines.slice(since).find((l) => l.includes('"path":"/graphql"')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ status: 499, clientGone: true });
    // One line for the request, none for the parser's end of the connection (a second probe).
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(capturedLogLines.slice(since).filter((l) => l.includes('HPE_'))).toEqual([]);
  });

  /** The head of a raw `POST /graphql` with the full-access token and `more` headers. */
  const postHead = (...more: string[]) => [
    'POST /graphql HTTP/1.1',
    'Host: localhost',
    `Authorization: Bearer ${app.identities.full.secret}`,
    'Content-Type: application/json',
    ...more,
    '',
  ];

  it('answers two pipelined mutations followed by bytes that are not HTTP, both, then ends the connection (review)', async () => {
    const since = capturedLogLines.length;
    const names = [`first ${Date.now()}`, `second ${Date.now()}`];
    const request = (name: string) => {
      const body = JSON.stringify({
        query: `mutation { createBoard(input: { name: "${name}" }) { name } }`,
      });
      return [...postHead(`Content-Length: ${Buffer.byteLength(body)}`), body].join('\r\n');
    };
    const answer = await rawHttp(app.url, request(names[0]) + request(names[1]) + 'JUNK\r\n\r\n');
    const ids = [...answer.matchAll(/x-request-id: ([0-9a-f-]+)/gi)].map((m) => m[1]);
    expect(answer.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    for (const name of names) {
      expect(answer).toContain(`"name":"${name}"`);
    }
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      expect(await requestLogLine(since, id)).toMatchObject({ status: 200, outcome: 'ok' });
    }
  });

  it('refuses a body that breaks the parser while its request waits for the rest, at once (review)', async () => {
    // A chunked body whose first chunk size is not hex: the request waits for a body that
    // never comes, so the refusal must not wait for its answer.
    const answer = await rawHttp(
      app.url,
      [...postHead('Transfer-Encoding: chunked'), 'zz', ''].join('\r\n'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('The request is not valid HTTP.');
  });

  it('answers a request followed by bytes that are not HTTP, and only then ends the connection (found by a hostile probe)', async () => {
    const since = capturedLogLines.length;
    const name = `pipelined ${Date.now()}`;
    const body = JSON.stringify({
      query: `mutation { createBoard(input: { name: "${name}" }) { name } }`,
    });
    const answer = await rawHttp(
      app.url,
      [...postHead(`Content-Length: ${Buffer.byteLength(body)}`), body + 'JUNK', '', ''].join(
        '\r\n',
      ),
    );
    // The mutation ran: its answer is what the client gets, not the junk's refusal.
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain(`"name":"${name}"`);
    const requestId = /x-request-id: ([0-9a-f-]+)/i.exec(answer)?.[1] ?? null;
    expect(await requestLogLine(since, requestId)).toMatchObject({
      status: 200,
      operationType: 'mutation',
      outcome: 'ok',
    });
  });

  it('refuses a subscription with 400 BAD_REQUEST', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: app.asFullAccess().headers(),
      body: JSON.stringify({ query: 'subscription { viewer { permission } }' }),
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
    expect(body.errors?.[0]?.message).toMatch(/subscriptions are not supported/i);
  });

  describe('/metrics with METRICS_TOKEN set', () => {
    it('refuses a request without the token with 401', async () => {
      const response = await fetch(`${app.url}/metrics`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect((await json(response)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a wrong token, and an API token, with 401', async () => {
      for (const secret of ['wrong', app.identities.full.secret]) {
        const response = await fetch(`${app.url}/metrics`, {
          headers: { authorization: `Bearer ${secret}` },
        });
        await response.arrayBuffer();
        expect(response.status).toBe(401);
      }
    });

    it('serves the metrics with the token', async () => {
      const response = await fetch(`${app.url}/metrics`, {
        headers: { authorization: 'Bearer metrics-secret-for-tests' },
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('statusgraph_http_requests_total');
    });
  });
});

describe('/metrics by default', () => {
  it('is open', async () => {
    const app = await TestApp.start();
    try {
      const response = await fetch(`${app.url}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('statusgraph_http_requests_total');
    } finally {
      await app.close();
    }
  });
});
