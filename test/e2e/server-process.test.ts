import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sqlite3 from 'sqlite3';
import { Child, freePort, killAll } from '../helpers/child-process';
import { HttpClient } from '../helpers/http-client';
import { until } from '../helpers/wait';

/**
 * The real server and CLI as child processes (`node dist/src/main.js`, built by `pretest`).
 *
 * The children get a minimal environment on purpose: in particular no NODE_ENV (Jest sets
 * NODE_ENV=test in its own process), so they run as in production.
 */

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join('dist', 'src', 'main.js');
const CLI = join('dist', 'src', 'cli.js');
const SECRET = /sgp_[0-9A-Za-z]{36}/g;
const EXIT_TIMEOUT_MS = 15_000;

const children: Child[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'statusgraph-process-'));
  dirs.push(dir);
  return dir;
}

function run(script: string, env: Record<string, string>, args: string[] = []): Child {
  const child = new Child(
    spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      // ENV_FILE empty: never a developer's .env (API.md section 8), only what the test gives.
      env: { PATH: process.env.PATH ?? '', ENV_FILE: '', ...env },
      stdio: 'pipe',
    }),
  );
  children.push(child);
  return child;
}

interface Server {
  child: Child;
  port: number;
  url: string;
  databaseUrl: string;
  databasePath: string;
}

/** Starts `node dist/src/main.js` on a free port and waits for its "listening" line. */
async function startServer(dir: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const databasePath = join(dir, 'db.sqlite');
  const databaseUrl = `sqlite:${databasePath}`;
  const child = run(MAIN, {
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  await child.waitForStdout(/"msg":"statusgraph listening on /);
  return { child, port, url: `http://127.0.0.1:${port}`, databaseUrl, databasePath };
}

interface GraphQLResponse<T> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function graphql<T>(
  server: Server,
  secret: string,
  query: string,
  variables: Record<string, unknown> = {},
  userAgent = 'server-process-test',
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      'user-agent': userAgent,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

/** The data of a request that must succeed (HttpClient.data, on this server). */
const data = <T>(
  server: Server,
  secret: string,
  query: string,
  variables: Record<string, unknown> = {},
  userAgent?: string,
): Promise<T> =>
  new HttpClient(`${server.url}/graphql`, secret, userAgent).data<T>(query, variables);

/** The distinct secrets a text shows. */
function secretsIn(text: string): string[] {
  return [...new Set(text.match(SECRET) ?? [])];
}

/** The one secret the first start printed. */
function bootstrapSecret(server: Server): string {
  const secrets = secretsIn(server.child.stdout);
  expect(secrets).toHaveLength(1);
  return secrets[0];
}

/** Runs SQL on the database file directly (not through the server and its overlays). */
async function sql<T>(path: string, query: string): Promise<T[]> {
  const db = await new Promise<sqlite3.Database>((done, fail) => {
    const opened: sqlite3.Database = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (error) =>
      error ? fail(error) : done(opened),
    );
  });
  try {
    return await new Promise<T[]>((done, fail) =>
      db.all(query, (error: Error | null, rows: T[]) => (error ? fail(error) : done(rows))),
    );
  } finally {
    await new Promise<void>((done, fail) => db.close((error) => (error ? fail(error) : done())));
  }
}

/** The token's last use as stored in the database file. */
async function lastUsedAt(path: string, tokenId: string): Promise<string | null> {
  const rows = await sql<{ last_used_at: string | null }>(
    path,
    `SELECT last_used_at FROM api_token WHERE id = '${tokenId.replace(/'/g, "''")}'`,
  );
  expect(rows).toHaveLength(1);
  return rows[0].last_used_at;
}

/** The user agent of the token's last use as stored in the database file. */
async function lastUsedUserAgent(path: string, tokenId: string): Promise<string | null> {
  const rows = await sql<{ last_used_user_agent: string | null }>(
    path,
    `SELECT last_used_user_agent FROM api_token WHERE id = '${tokenId.replace(/'/g, "''")}'`,
  );
  expect(rows).toHaveLength(1);
  return rows[0].last_used_user_agent;
}

/** SQLite keeps `YYYY-MM-DD HH:MM:SS.SSS` in UTC. */
function storedTime(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}

/** Whether a TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}

interface InFlight {
  /** Resolves once the server has the request (it answered 100 Continue to its headers). */
  received: Promise<void>;
  /** Sends the body; until then the request cannot be answered. */
  sendBody: () => void;
  response: Promise<{ status: number; body: string; afterBody: boolean }>;
}

/**
 * A POST /graphql on its own connection, its body held back: the server has the request (its
 * headers, answered with 100 Continue) and is waiting for the body, so it is in flight for as
 * long as the test wants, however fast the server answers once the body comes.
 */
function postInFlight(server: Server, secret: string, query: string, userAgent: string): InFlight {
  const body = JSON.stringify({ query });
  let bodySent = false;
  let markReceived: () => void = () => undefined;
  const received = new Promise<void>((done) => (markReceived = done));
  const req = httpRequest(`${server.url}/graphql`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': userAgent,
      expect: '100-continue',
    },
  });
  req.on('continue', () => markReceived());
  const response = new Promise<{ status: number; body: string; afterBody: boolean }>(
    (done, fail) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text, afterBody: bodySent }));
        res.on('error', fail);
      });
      req.on('error', fail);
    },
  );
  req.flushHeaders();
  return {
    received,
    sendBody: () => {
      bodySent = true;
      req.end(body);
    },
    response,
  };
}

afterEach(async () => {
  await killAll(children);
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the server process', () => {
  it('prints one secret on the first start only, and serves health, readiness and metrics', async () => {
    const dir = tempDir();
    const first = await startServer(dir);
    const secret = bootstrapSecret(first);
    // The secret on a line of its own, with the playground URL beside it.
    expect(first.child.stdout).toMatch(new RegExp(`^  ${secret}$`, 'm'));
    expect(first.child.stdout).toContain(
      `GraphQL endpoint and playground: http://localhost:${first.port}/graphql`,
    );
    expect(first.child.stdout).toContain(
      `Token console, to manage tokens in a browser: http://localhost:${first.port}/console`,
    );
    expect(first.child.stderr).toBe('');
    const viewer = await data<{ viewer: { permission: string; organization: { name: string } } }>(
      first,
      secret,
      '{ viewer { permission organization { name } } }',
    );
    expect(viewer.viewer).toEqual({ permission: 'FULL_ACCESS', organization: { name: 'Default' } });

    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const metrics = await fetch(`${first.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toMatch(/^# HELP statusgraph_http_requests_total /m);
    expect(text).toMatch(/^# TYPE statusgraph_http_requests_total counter$/m);
    expect(text).toMatch(
      /^statusgraph_http_requests_total\{operation_type="query",outcome="ok"\} 1$/m,
    );
    expect(text).not.toMatch(SECRET);

    first.child.process.kill('SIGTERM');
    expect(await first.child.waitForExit()).toEqual({ code: 0, signal: null });

    const second = await startServer(dir);
    expect(second.child.stdout).not.toMatch(SECRET);
    expect(second.child.stdout).not.toContain('Created organization');
    expect(
      (await data<{ viewer: { permission: string } }>(second, secret, '{ viewer { permission } }'))
        .viewer.permission,
    ).toBe('FULL_ACCESS');
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
  }, 45_000);

  it('METRICS_TOKEN from the environment guards /metrics', async () => {
    const metricsToken = 'metrics-0123456789abcdef';
    const server = await startServer(tempDir(), { METRICS_TOKEN: metricsToken });
    const open = await fetch(`${server.url}/metrics`);
    const wrong = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-not-the-one-000' },
    });
    const right = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect({
      open: open.status,
      challenge: open.headers.get('www-authenticate'),
      code: ((await open.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
        .extensions.code,
      wrong: wrong.status,
      right: right.status,
    }).toEqual({ open: 401, challenge: 'Bearer', code: 'UNAUTHENTICATED', wrong: 401, right: 200 });
    expect(await right.text()).toMatch(/^# HELP statusgraph_http_requests_total /m);
  }, 45_000);

  describe.each(['SIGTERM', 'SIGINT'] as const)('on %s', (signal) => {
    it('finishes requests in flight, refuses new connections, flushes last use and exits with 0', async () => {
      const dir = tempDir();
      const server = await startServer(dir, { LAST_USED_WRITE_INTERVAL_SECONDS: '3600' });
      const secret = bootstrapSecret(server);

      // Rows for a large, legitimate query: 100 incidents with long details, in one request.
      const board = await data<{ createBoard: { id: string } }>(
        server,
        secret,
        'mutation { createBoard(input: { name: "Shutdown" }) { id } }',
      );
      // 200 incidents of 10,000 characters, 25 to a request (scripts batch with aliases, up to
      // the limit of 30), so that the slow request below returns some 60 MB.
      const incidents = 200;
      const details = 'x'.repeat(10_000);
      for (let batch = 0; batch < incidents / 25; batch++) {
        const creations = Array.from(
          { length: 25 },
          (_, i) =>
            `i${i}: createIncident(input: { boardId: $board, name: "Incident ${batch * 25 + i}", severity: MINOR, details: $details }) { id }`,
        );
        const created = await graphql<Record<string, { id: string }>>(
          server,
          secret,
          `mutation ($board: ID!, $details: String!) { ${creations.join('\n')} }`,
          { board: board.createBoard.id, details },
        );
        expect(created.body.errors).toBeUndefined();
        expect(Object.keys(created.body.data ?? {})).toHaveLength(25);
      }

      // The first use was written at once; every later use waits for the hour (pending).
      const tokenId = (
        await data<{ viewer: { token: { id: string } } }>(
          server,
          secret,
          '{ viewer { token { id } } }',
        )
      ).viewer.token.id;
      const storedBefore = await sql<{ last_used_at: string | null }>(
        server.databasePath,
        `SELECT last_used_at FROM api_token WHERE id = '${tokenId}'`,
      );
      expect(storedBefore).toHaveLength(1);
      const firstStored = storedBefore[0].last_used_at;
      expect(firstStored).not.toBeNull();

      // The slow request: every incident, with its updates and board, many times over (as many
      // times as the alias limit allows).
      const aliases = 30;
      const slowQuery = `{ ${Array.from(
        { length: aliases },
        (_, i) =>
          `a${i}: incidents(first: ${incidents}) { nodes { id name details phase updates { message } board { name } } }`,
      ).join('\n')} }`;
      const slow = postInFlight(server, secret, slowQuery, 'the-slow-request');
      await slow.received;
      let answered = false;
      void slow.response.then(() => (answered = true));
      server.child.process.kill(signal);
      await until(() => refused(server.port), 'the port to refuse connections', 5000);
      // Refused while the request was still in flight: it cannot be answered before its body.
      expect(answered).toBe(false);
      slow.sendBody();

      const response = await slow.response;
      expect(response.afterBody).toBe(true);
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body) as {
        data?: Record<string, { nodes: { details: string }[] }>;
        errors?: unknown;
      };
      expect(body.errors).toBeUndefined();
      expect(Object.keys(body.data ?? {})).toHaveLength(aliases);
      for (const connection of Object.values(body.data ?? {})) {
        expect(connection.nodes).toHaveLength(incidents);
        expect(connection.nodes.every((node) => node.details === details)).toBe(true);
      }

      // waitForExit fails after EXIT_TIMEOUT_MS: a bound, not a measurement.
      expect(await server.child.waitForExit(EXIT_TIMEOUT_MS)).toEqual({ code: 0, signal: null });
      expect(server.child.stderr).toBe('');

      // The log ends with the shutdown; the slow request is logged between its start and end.
      const messages = server.child.logLines().map((line) => line.msg);
      const shuttingDown = messages.indexOf('shutting down: finishing requests in flight');
      expect(shuttingDown).toBeGreaterThanOrEqual(0);
      expect(messages.slice(shuttingDown)).toEqual([
        'shutting down: finishing requests in flight',
        'request',
        'stopped',
      ]);
      expect(server.child.logLines().at(-1)).toMatchObject({ msg: 'stopped', signal });

      // The database file itself: opens, is intact, and holds the pending (last) use.
      const check = await sql<{ integrity_check: string }>(
        server.databasePath,
        'PRAGMA integrity_check',
      );
      expect(check).toEqual([{ integrity_check: 'ok' }]);
      const storedAfter = await sql<{ last_used_at: string | null }>(
        server.databasePath,
        `SELECT last_used_at FROM api_token WHERE id = '${tokenId}'`,
      );
      expect(storedAfter).toHaveLength(1);
      const lastStored = storedAfter[0].last_used_at;
      if (lastStored === null || firstStored === null) {
        throw new Error('no last use stored');
      }
      expect(storedTime(lastStored).getTime()).toBeGreaterThan(storedTime(firstStored).getTime());
      // The pending use flushed at the shutdown is the slow request's.
      expect(await lastUsedUserAgent(server.databasePath, tokenId)).toBe('the-slow-request');
    }, 45_000);

    it('flushes the pending last use of an idle server, logs "stopped" and exits with 0', async () => {
      const dir = tempDir();
      const server = await startServer(dir, { LAST_USED_WRITE_INTERVAL_SECONDS: '3600' });
      const secret = bootstrapSecret(server);
      const first = await data<{ viewer: { token: { id: string } } }>(
        server,
        secret,
        '{ viewer { token { id } } }',
      );
      const tokenId = first.viewer.token.id;
      // The first use is written at once (in the background); wait for it, bounded.
      await until(
        async () => (await lastUsedAt(server.databasePath, tokenId)) !== null,
        'the first use, written at once',
        5000,
      );
      const firstStored = await lastUsedAt(server.databasePath, tokenId);
      await data(server, secret, '{ viewer { permission } }', {}, 'the-second-use');
      // The second use waits for the interval: the file still holds the first.
      expect(await lastUsedAt(server.databasePath, tokenId)).toBe(firstStored);

      server.child.process.kill(signal);
      const exit = await server.child.waitForExit();
      const stored = await lastUsedAt(server.databasePath, tokenId);
      const storedAt = stored === null ? null : storedTime(stored).getTime();
      const firstAt = firstStored === null ? null : storedTime(firstStored).getTime();
      const storedAgent = await lastUsedUserAgent(server.databasePath, tokenId);
      const last = server.child.logLines().at(-1);
      // One comparison, so a failure shows every symptom at once.
      expect({
        exit,
        stderr: server.child.stderr,
        lastLogLine: { msg: last?.msg, signal: last?.signal },
        secondUseStored:
          storedAgent === 'the-second-use' && storedAt !== null && storedAt > (firstAt ?? Infinity),
      }).toEqual({
        exit: { code: 0, signal: null },
        stderr: '',
        lastLogLine: { msg: 'stopped', signal },
        secondUseStored: true,
      });
      expect(await sql(server.databasePath, 'PRAGMA integrity_check')).toEqual([
        { integrity_check: 'ok' },
      ]);
    }, 30_000);
  });
});

describe('settings checked at start', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['PORT=abc', { PORT: 'abc' }, /PORT/],
    ['PORT=70000', { PORT: '70000' }, /PORT/],
    ['DATABASE_URL=mysql://x', { DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    ['DATABASE_URL under a file', { DATABASE_URL: 'sqlite:/etc/passwd/db.sqlite' }, /DATABASE_URL/],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    ['CORS_ORIGINS=*', { CORS_ORIGINS: '*' }, /CORS_ORIGINS/],
    ['METRICS_TOKEN too short', { METRICS_TOKEN: 'short' }, /METRICS_TOKEN/],
  ];

  // All at once (each is a fresh process that exits by itself): the file stays fast.
  it('each bad setting stops the process with one line naming it, exit code 1 and no stdout', async () => {
    const outcomes = await Promise.all(
      cases.map(async ([name, env]) => {
        const dir = tempDir();
        const child = run(MAIN, {
          PORT: String(await freePort()),
          DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
          LOG_LEVEL: 'info',
          ...env,
        });
        const exit = await child.waitForExit();
        return [name, { exit, stderr: child.stderr, stdout: child.stdout }] as const;
      }),
    );
    for (const [name, outcome] of outcomes) {
      const setting = cases.find(([caseName]) => caseName === name)?.[2] ?? /^$/;
      const lines = outcome.stderr.split('\n');
      // One object per case, so a failure names the setting that misbehaved.
      expect({ name, ...outcome, lines: lines.length, last: lines.at(-1) }).toEqual({
        name,
        exit: { code: 1, signal: null },
        stderr: expect.stringMatching(new RegExp(`^statusgraph: [^\\n]*${setting.source}`)),
        stdout: '',
        lines: 2,
        last: '',
      });
    }
  }, 45_000);

  it('a port in use stops the process with one clear line and exit code 1', async () => {
    const blocker: NetServer = createServer();
    await new Promise<void>((done) => blocker.listen(0, done));
    try {
      const address = blocker.address();
      if (address === null || typeof address === 'string') {
        throw new Error('no port');
      }
      const dir = tempDir();
      const child = run(MAIN, {
        PORT: String(address.port),
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
        LOG_LEVEL: 'info',
      });
      expect(await child.waitForExit()).toEqual({ code: 1, signal: null });
      const lines = child.stderr.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^statusgraph: port is already in use .*set PORT to a free port/);
      expect(lines[1]).toBe('');
      expect(child.stdout).not.toContain('listening');
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  });
});

describe('the CLI binary beside the running server', () => {
  it('creates an organization whose secret works against the server at once', async () => {
    const dir = tempDir();
    const server = await startServer(dir);
    const cli = run(CLI, { DATABASE_URL: server.databaseUrl, LOG_LEVEL: 'info' }, [
      'org',
      'create',
      '--name',
      'Night shift',
      '--json',
    ]);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    const lines = cli.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const out = JSON.parse(lines[0]) as {
      organization: { id: string; name: string };
      token: { permission: string; prefix: string };
      secret: string;
    };
    expect(out.organization.name).toBe('Night shift');
    expect(out.token.permission).toBe('FULL_ACCESS');
    expect(out.secret).toMatch(/^sgp_[0-9A-Za-z]{36}$/);
    expect(out.secret).not.toBe(bootstrapSecret(server));

    const viewer = await data<{
      viewer: { permission: string; organization: { id: string; name: string } };
    }>(server, out.secret, '{ viewer { permission organization { id name } } }');
    expect(viewer.viewer).toEqual({
      permission: 'FULL_ACCESS',
      organization: { id: out.organization.id, name: 'Night shift' },
    });
  }, 30_000);
});
