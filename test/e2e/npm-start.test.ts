import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sqlite3 from 'sqlite3';
import { Child, freePort, killAll } from '../helpers/child-process';
import { until } from '../helpers/wait';

/**
 * The README's own command, `npm start`, as a supervisor runs it: the signal goes to npm's pid.
 * `test/e2e/server-process.test.ts` starts `dist/src/main.js` directly and cannot see what npm
 * and a shell in between do to a signal (issue 14 item 10: node was left running, orphaned).
 */

const ROOT = resolve(__dirname, '..', '..');
const SECRET = /sgp_[0-9A-Za-z]{36}/;
const BUILD_AND_START_MS = 120_000;

const children: Child[] = [];
const dirs: string[] = [];
/** Server pids seen in the logs, to end an orphan this test left behind. */
const serverPids = new Set<number>();

afterEach(async () => {
  await killAll(children);
  for (const pid of serverPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  serverPids.clear();
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function lastUsedUserAgent(path: string): Promise<string | null> {
  const db = await new Promise<sqlite3.Database>((done, fail) => {
    const opened: sqlite3.Database = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (error) =>
      error ? fail(error) : done(opened),
    );
  });
  try {
    const rows = await new Promise<{ last_used_user_agent: string | null }[]>((done, fail) =>
      db.all('SELECT last_used_user_agent FROM api_token', (error: Error | null, rows) =>
        error ? fail(error) : done(rows as { last_used_user_agent: string | null }[]),
      ),
    );
    return rows[0]?.last_used_user_agent ?? null;
  } finally {
    await new Promise<void>((done) => db.close(() => done()));
  }
}

async function viewer(port: number, secret: string, userAgent: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      'user-agent': userAgent,
    },
    body: JSON.stringify({ query: '{ viewer { permission } }' }),
  });
  expect(response.status).toBe(200);
}

describe.each(['SIGTERM', 'SIGINT'] as const)('npm start, then %s to npm', (signal) => {
  it('shuts the server down gracefully: last use flushed, "stopped" logged, port closed, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statusgraph-npm-start-'));
    dirs.push(dir);
    const port = await freePort();
    const databasePath = join(dir, 'db.sqlite');
    const child = new Child(
      spawn('npm', ['start'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          // Never a developer's .env (API.md section 8): the child reads only what the test gives it.
          ENV_FILE: '',
          HOME: process.env.HOME ?? dir,
          PORT: String(port),
          DATABASE_URL: `sqlite:${databasePath}`,
          LOG_LEVEL: 'info',
          LAST_USED_WRITE_INTERVAL_SECONDS: '3600',
        },
        stdio: 'pipe',
      }),
      { startMs: BUILD_AND_START_MS, exitMs: 15_000 },
    );
    children.push(child);
    await child.waitForStdout(/"msg":"statusgraph listening on /);
    for (const line of child.logLines()) {
      if (typeof line.pid === 'number') {
        serverPids.add(line.pid);
      }
    }
    const secret = SECRET.exec(child.stdout)?.[0] ?? '';

    await viewer(port, secret, 'first-use');
    // The first use is written at once, in the background; wait for it, bounded.
    await until(
      async () => (await lastUsedUserAgent(databasePath)) === 'first-use',
      'the first use to be written',
    );
    await viewer(port, secret, 'pending-use');
    expect(await lastUsedUserAgent(databasePath)).toBe('first-use');

    child.process.kill(signal);
    const exit = await child.waitForExit();
    expect({
      exit,
      stopped: child.logLines().some((line) => line.msg === 'stopped'),
      stillListening: await listening(port),
      lastUse: await lastUsedUserAgent(databasePath),
    }).toEqual({
      exit: { code: 0, signal: null },
      stopped: true,
      stillListening: false,
      lastUse: 'pending-use',
    });
  }, 180_000);
});
