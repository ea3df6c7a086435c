import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Child, freePort, killAll } from '../helpers/child-process';

/**
 * API.md section 8: settings also come from a `.env` file in the working directory when there
 * is one (the environment wins; a missing file is no error), and `HOST` (default 0.0.0.0) says
 * where to listen. Each server here runs in a temporary working directory of its own, so no
 * developer's `.env` is read.
 */

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const LISTENING = /"msg":"statusgraph listening on /;

const children: Child[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await killAll(children);
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function workDir(envFile?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'statusgraph-env-file-'));
  dirs.push(dir);
  if (envFile !== undefined) {
    writeFileSync(join(dir, '.env'), envFile);
  }
  return dir;
}

function run(script: string, cwd: string, env: Record<string, string>, args: string[] = []) {
  const child = new Child(
    spawn(process.execPath, [script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'pipe',
    }),
  );
  children.push(child);
  return child;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

describe('settings from a .env file', () => {
  it('reads PORT, DATABASE_URL and LOG_LEVEL from .env in the working directory', async () => {
    const port = await freePort();
    const dir = workDir(
      `# settings of this deployment\nPORT=${port}\nDATABASE_URL="sqlite:./from-env-file.sqlite"\nLOG_LEVEL=info\n`,
    );
    const server = run(MAIN, dir, {});
    await server.waitForStdout(LISTENING);
    expect(server.stdout).toContain(`"port":${port}`);
    expect(await accepts('127.0.0.1', port)).toBe(true);

    const cli = run(CLI, dir, {}, ['org', 'list', '--json']);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    const { organizations } = JSON.parse(cli.stdout) as { organizations: { id: string }[] };
    expect(organizations).toHaveLength(1);
    // The first start's banner names the organization (issue 14 item 14).
    expect(server.stdout).toContain(
      `Organization id (for statusgraph token create --org): ${organizations[0].id}\n`,
    );
  });

  it('lets the environment win over the file', async () => {
    const port = await freePort();
    const dir = workDir(`PORT=1\nDATABASE_URL=sqlite:./db.sqlite\nLOG_LEVEL=silent\n`);
    const server = run(MAIN, dir, { PORT: String(port), LOG_LEVEL: 'info' });
    await server.waitForStdout(LISTENING);
    expect(server.stdout).toContain(`"port":${port}`);
  });

  it('starts without a .env file', async () => {
    const port = await freePort();
    const dir = workDir();
    const server = run(MAIN, dir, {
      PORT: String(port),
      DATABASE_URL: 'sqlite:./db.sqlite',
      LOG_LEVEL: 'info',
    });
    await server.waitForStdout(LISTENING);
  });

  it('reads no file when ENV_FILE is empty (as every test child process does)', async () => {
    const port = await freePort();
    const dir = workDir('PORT=eighty\n');
    const server = run(MAIN, dir, {
      ENV_FILE: '',
      PORT: String(port),
      DATABASE_URL: 'sqlite:./db.sqlite',
      LOG_LEVEL: 'info',
    });
    await server.waitForStdout(LISTENING);
  });

  it('stops with one clear line for an invalid setting in the file', async () => {
    const dir = workDir('PORT=eighty\n');
    const server = run(MAIN, dir, {});
    expect(await server.waitForExit()).toEqual({ code: 1, signal: null });
    expect(server.stderr).toBe('statusgraph: PORT must be a whole number from 0 to 65535.\n');
  });
});

describe('HOST', () => {
  it('listens on every interface by default', async () => {
    const port = await freePort();
    const server = run(MAIN, workDir(), {
      PORT: String(port),
      DATABASE_URL: 'sqlite:./db.sqlite',
      LOG_LEVEL: 'info',
    });
    await server.waitForStdout(LISTENING);
    // 127.0.0.2 is another loopback address: reached only when bound to every interface.
    expect(await accepts('127.0.0.2', port)).toBe(true);
  });

  it('listens only on the address HOST names', async () => {
    const port = await freePort();
    const server = run(MAIN, workDir(), {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite:./db.sqlite',
      LOG_LEVEL: 'info',
    });
    await server.waitForStdout(LISTENING);
    expect(await accepts('127.0.0.1', port)).toBe(true);
    expect(await accepts('127.0.0.2', port)).toBe(false);
  });

  it("prints the address HOST names, so the banner's curl line reaches the server", async () => {
    const port = await freePort();
    const server = run(MAIN, workDir(), {
      PORT: String(port),
      HOST: '127.0.0.2',
      DATABASE_URL: 'sqlite:./db.sqlite',
      LOG_LEVEL: 'info',
    });
    await server.waitForStdout(LISTENING);
    expect(server.stdout).toContain(
      `GraphQL endpoint and playground: http://127.0.0.2:${port}/graphql`,
    );
    expect(server.stdout).toContain(`http://127.0.0.2:${port}/console`);
    expect(server.stdout).toContain(`statusgraph listening on http://127.0.0.2:${port}/graphql`);
    expect(server.stdout).not.toContain('localhost');
    expect(await accepts('127.0.0.2', port)).toBe(true);
  });

  it('refuses a HOST that is no address or host name with one clear line', async () => {
    const server = run(MAIN, workDir(), {
      HOST: 'http://example.com',
      DATABASE_URL: 'sqlite:./db.sqlite',
    });
    expect(await server.waitForExit()).toEqual({ code: 1, signal: null });
    expect(server.stderr).toMatch(/^statusgraph: HOST must be /);
  });
});
