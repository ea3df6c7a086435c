import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The real server (`node dist/src/main.js`) in a process of its own, as production runs it. */
export class ServerProcess {
  private output = '';
  private exitCode: number | null | undefined = undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((done) =>
      child.on('close', (code, signal) => {
        this.exitCode = code;
        done({ code, signal });
      }),
    );
  }

  /** Starts the server on a free port with `env` and waits until /readyz answers 200. */
  static async start(
    env: Record<string, string>,
    timeoutMs = 30_000,
    entry = join(__dirname, '..', 'src', 'main.js'),
  ): Promise<ServerProcess> {
    const port = await freePort();
    // A minimal environment, as in the tests' child processes: no NODE_ENV, nothing inherited.
    // The bench's V8 heap flags go to the server too (`node --heap-growing-percent=0 …`); not
    // the others (`--inspect` would take the bench's port).
    const heapFlags = process.execArgv.filter((flag) => /^--(heap|max-old|max-semi)/.test(flag));
    const child = spawn(process.execPath, [...heapFlags, entry], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (server.exitCode !== undefined) {
        throw new Error(`the server exited (${server.exitCode}) while starting:\n${server.output}`);
      }
      const ready = await fetch(`${server.url}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) {
        return server;
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`the server was not ready within ${timeoutMs} ms:\n${server.output}`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Everything the server wrote, stdout and stderr interleaved. */
  get log(): string {
    return this.output;
  }

  /** Peak and current resident set size in MiB, from /proc (Linux); null elsewhere. */
  memory(): { peakRssMiB: number; rssMiB: number } | null {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      const peak = kib('VmHWM');
      const rss = kib('VmRSS');
      return Number.isFinite(peak) && Number.isFinite(rss)
        ? { peakRssMiB: peak / 1024, rssMiB: rss / 1024 }
        : null;
    } catch {
      return null;
    }
  }

  /** SIGTERM, then the exit (SIGKILL after `timeoutMs`, reported as such). */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGTERM');
    }
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<{ code: null; signal: NodeJS.Signals }>((done) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        done({ code: null, signal: 'SIGKILL' });
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, killed]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A port that was free a moment ago: listen on 0, note the port, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') {
    throw new Error('no free port');
  }
  return address.port;
}
