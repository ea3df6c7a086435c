import { connect } from 'node:net';
import { TestApp, capturedLogLines, requestLogLine } from '../helpers/test-app';
import { until } from '../helpers/wait';

const SECRET_SHAPE = /sgp_[0-9A-Za-z]{36}/;

describe('metrics, request logs and CORS', () => {
  let app: TestApp;
  afterEach(() => app.close());

  it('counts requests by operation type and outcome and 401s by reason, with no per-token labels', async () => {
    app = await TestApp.start();
    await app.asFullAccess().data('{ viewer { permission } }');
    await app.asReadOnly().request('mutation { createBoard(input: { name: "x" }) { id } }');
    await app.asExpired().request('{ viewer { permission } }');
    await app.client('sgp_nope').request('{ viewer { permission } }');

    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(
      /statusgraph_http_requests_total\{operation_type="query",outcome="ok"\} 1/,
    );
    expect(text).toMatch(
      /statusgraph_http_requests_total\{operation_type="mutation",outcome="FORBIDDEN"\} 1/,
    );
    expect(text).toMatch(/statusgraph_authentication_failures_total\{reason="EXPIRED"\} 1/);
    expect(text).toMatch(/statusgraph_authentication_failures_total\{reason="MALFORMED"\} 1/);
    expect(text).toMatch(
      /statusgraph_http_request_duration_seconds_bucket\{le="0.1",operation_type="query"\} \d/,
    );
    expect(text).toContain('statusgraph_last_used_writes_total');
    for (const identity of Object.values(app.identities)) {
      expect(text).not.toContain(identity.token.id);
      expect(text).not.toContain(identity.token.prefix);
    }
    expect(text).not.toMatch(SECRET_SHAPE);
  });

  it('logs one JSON line per request with its id, token and operation, never a variable or secret', async () => {
    app = await TestApp.start();
    const before = capturedLogLines.length;
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: app.asFullAccess().headers(),
      body: JSON.stringify({
        query: 'mutation MakeBoard($name: String!) { createBoard(input: { name: $name }) { id } }',
        operationName: 'MakeBoard',
        variables: { name: 'Very private board name' },
      }),
    });
    expect(response.status).toBe(200);
    const line = await requestLogLine(before, response.headers.get('x-request-id'));
    expect(line).toMatchObject({
      msg: 'request',
      method: 'POST',
      path: '/graphql',
      status: 200,
      operationType: 'mutation',
      operationName: 'MakeBoard',
      tokenId: app.identities.full.token.id,
      tokenPrefix: app.identities.full.token.prefix,
      outcome: 'ok',
    });
    expect(typeof line?.durationMs).toBe('number');
    const logged = capturedLogLines.slice(before).join('\n');
    expect(logged).not.toContain('Very private board name');
    expect(logged).not.toMatch(SECRET_SHAPE);
  });

  it('logs a request whose client left before the answer, a mutation that ran included (found by a hostile probe)', async () => {
    app = await TestApp.start();
    const since = capturedLogLines.length;
    const name = 'Left before the answer';
    const body = JSON.stringify({
      query: `mutation { createBoard(input: { name: "${name}" }) { id } }`,
    });
    const { port } = new URL(app.url);
    // The whole request, then the connection closed at once, before any answer.
    await new Promise<void>((sent, failed) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        const head = Object.entries({
          ...app.asFullAccess().headers(),
          host: 'localhost',
          'content-length': String(Buffer.byteLength(body)),
        }).map(([header, value]) => `${header}: ${value}\r\n`);
        socket.write(`POST /graphql HTTP/1.1\r\n${head.join('')}\r\n${body}`, () => {
          socket.destroy();
          sent();
        });
      });
      socket.on('error', failed);
    });
    const boards = async () =>
      (
        await app
          .asFullAccess()
          .data<{ boards: { nodes: { name: string }[] } }>(
            '{ boards(first: 100) { nodes { name } } }',
          )
      ).boards.nodes.map((board) => board.name);
    await until(async () => (await boards()).includes(name), 'the mutation to have run');
    const gone = () =>
      capturedLogLines
        .slice(since)
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((line) => line.msg === 'request' && line.clientGone === true);
    await until(() => gone() !== undefined, 'a log line of the request whose client left');
    expect(gone()).toMatchObject({
      method: 'POST',
      path: '/graphql',
      // Nothing of the answer was sent: the status proxies log for a client that left.
      status: 499,
      clientGone: true,
      tokenId: app.identities.full.token.id,
      operationType: 'mutation',
      outcome: 'ok',
    });
  });

  // Found by a new user: Apollo refuses these before any plugin sees them, so they were counted
  // as outcome HTTP_400 and logged without an outcome, though their code is BAD_REQUEST.
  it("counts and logs the refusal of a request's shape under its code", async () => {
    app = await TestApp.start();
    const before = capturedLogLines.length;
    const refused = await Promise.all([
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ viewer { permission } }' }),
      }),
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: app.asFullAccess().headers(),
        body: JSON.stringify([{ query: '{ viewer { permission } }' }]),
      }),
    ]);
    expect(refused.map((r) => r.status)).toEqual([400, 400]);
    const lines = await Promise.all(
      refused.map((r) => requestLogLine(before, r.headers.get('x-request-id'))),
    );
    expect(lines.map((l) => l.outcome)).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(
      /statusgraph_http_requests_total\{operation_type="none",outcome="BAD_REQUEST"\} 2/,
    );
    expect(text).not.toContain('outcome="HTTP_400"');
  });

  it('answers CORS preflights only for the configured origins', async () => {
    app = await TestApp.start({ corsOrigins: ['https://dash.example.com'] });
    const preflight = (origin: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('https://dash.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers when no origin is configured', async () => {
    app = await TestApp.start();
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { ...app.asReadOnly().headers(), origin: 'https://dash.example.com' },
      body: JSON.stringify({ query: '{ viewer { permission } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
