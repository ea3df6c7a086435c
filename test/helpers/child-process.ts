import { createServer } from 'node:net';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { logCapture } from './log-capture';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The pause between two looks at a child's output (a poll interval, not a wait for time). */
const pollInterval = () => new Promise<void>((done) => setTimeout(done, 25));

/** A child process (a real server or CLI) with everything it wrote so far and its exit. */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;

  constructor(
    readonly process: ChildProcessWithoutNullStreams,
    private readonly timeouts: { startMs: number; exitMs: number } = {
      startMs: 20_000,
      exitMs: 15_000,
    },
  ) {
    // Everything the child writes is also captured for the log scan (log-capture.ts).
    const origin = { pid: process.pid, command: process.spawnargs.slice(1).join(' ') };
    const stdoutLines = logCapture.lineSink({ source: 'stdout', ...origin });
    const stderrLines = logCapture.lineSink({ source: 'stderr', ...origin });
    process.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      stdoutLines.write(chunk);
    });
    process.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      stderrLines.write(chunk);
    });
    this.exited = new Promise<Exit>((done) => {
      process.on('close', (code, signal) => {
        stdoutLines.end();
        stderrLines.end();
        this.exit = { code, signal };
        done(this.exit);
      });
    });
  }

  /** Resolves when stdout matches `pattern`; fails on exit or after `timeoutMs`. */
  async waitForStdout(pattern: RegExp, timeoutMs = this.timeouts.startMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stdout)) {
      if (this.exit) {
        throw new Error(
          `process exited (${JSON.stringify(this.exit)}) before ${pattern}:\n${this.stdout}\n${this.stderr}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      }
      await pollInterval();
    }
  }

  /** The exit, or an error after `timeoutMs`. */
  async waitForExit(timeoutMs = this.timeouts.exitMs): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`process still running after ${timeoutMs} ms:\n${this.stdout}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** JSON log lines on stdout (the secret banner is plain text and skipped). */
  logLines(): { msg?: string; level?: number; [key: string]: unknown }[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; level?: number });
  }
}

/** A port that was free a moment ago: listen on 0, note the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') {
    throw new Error('no port');
  }
  return address.port;
}

/** SIGKILLs every child still running and empties the list. */
export async function killAll(children: Child[]): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exit === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }
}

const ROOT = resolve(__dirname, '..', '..');

/**
 * Spawns the built server (`node dist/src/main.js`, built by `pretest`) on `port` and
 * `databaseUrl`, logging at info and writing last use at most once a minute, plus `env`; does not
 * wait for it to listen.
 */
export function spawnMain(
  port: number,
  databaseUrl: string,
  env: Record<string, string> = {},
  timeouts?: { startMs: number; exitMs: number },
): Child {
  return new Child(
    spawn(process.execPath, [join('dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        // Never a developer's .env (API.md section 8): the child reads only what the test gives it.
        ENV_FILE: '',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'info',
        LAST_USED_WRITE_INTERVAL_SECONDS: '60',
        ...env,
      },
      stdio: 'pipe',
    }),
    timeouts,
  );
}
