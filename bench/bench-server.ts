// As main.ts: graphql-js in production mode, so the bench measures what a deployment runs.
import '../src/core/production-mode';
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { closeServices, openServices } from '../src/app';
import type { DatabaseConfig } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import { createHttpApp, listen } from '../src/server/http-app';
import { benchConfig } from './bench-database';
import { floorHandler } from './bi-floor';
import { peakRssMiB, resetPeakRss } from './memory';

/**
 * A server of the bench's in a process of its own, so that load from autocannon (in the bench's
 * process) never shares its event loop: `createHttpApp` as main.ts calls it, or with the
 * bench-only switch that leaves authorization out, which main.ts cannot pass.
 */
export interface BenchServerOptions {
  database: DatabaseConfig;
  authorization: boolean;
  /**
   * The server's script when not this one: the same protocol from another build (the hot-path
   * bench's "before", a built copy of an earlier commit) or the driver floor.
   */
  script?: string;
  /** Instead of the API, the BI pages' floor (`POST /floor/<page>?org=`, bench/bi-floor.ts). */
  floor?: boolean;
  /**
   * Runs the server with `--expose-gc`, so that `stats` can tell the heap still in use after a
   * full collection (what the process keeps) from the peak (which holds garbage not yet collected).
   */
  exposeGc?: boolean;
}

export interface ServerStats {
  /** Peak RSS since the last `resetPeak` (or the start), MiB. */
  peakRssMiB: number;
  /** Last-use writes made so far by this process. */
  lastUseWrites: number;
  /** V8 heap in use right after a full collection, MiB (null without `exposeGc`). */
  retainedHeapMiB: number | null;
}

type Request = { type: 'stats' } | { type: 'resetPeak' } | { type: 'stop' };
type Reply =
  | { type: 'listening'; port: number }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'resetPeak'; reset: boolean }
  | { type: 'stopped' };

/** The parent's handle on a bench server process. */
export class BenchServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(options: BenchServerOptions): Promise<BenchServer> {
    const child = fork(options.script ?? __filename, [JSON.stringify(options)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: options.exposeGc ? [...process.execArgv, '--expose-gc'] : process.execArgv,
    });
    const reply = await next(child);
    if (reply.type !== 'listening') {
      child.kill('SIGKILL');
      throw new Error(`bench server: unexpected ${reply.type}`);
    }
    return new BenchServer(child, `http://127.0.0.1:${reply.port}`);
  }

  async stats(): Promise<ServerStats> {
    const reply = await this.ask({ type: 'stats' });
    if (reply.type !== 'stats') {
      throw new Error(`bench server: unexpected ${reply.type}`);
    }
    return reply.stats;
  }

  /** Starts a new peak RSS; false where the peak cannot be reset (it then counts from start). */
  async resetPeak(): Promise<boolean> {
    const reply = await this.ask({ type: 'resetPeak' });
    return reply.type === 'resetPeak' && reply.reset;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.connected) {
      this.child.send({ type: 'stop' } satisfies Request);
    }
    await exited;
  }

  private ask(request: Request): Promise<Reply> {
    const reply = next(this.child);
    this.child.send(request);
    return reply;
  }
}

function next(child: ChildProcess): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Reply) => {
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`bench server exited with ${code}`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The child: open the database the parent prepared, listen, answer the parent's requests. */
async function serve(options: BenchServerOptions): Promise<void> {
  const send = (reply: Reply) => process.send?.(reply);
  const services = await openServices(benchConfig(options.database), createLogger('silent'));
  const { listener, apollo } = options.floor
    ? { listener: floorHandler(services), apollo: null }
    : await createHttpApp(
        services,
        {},
        options.authorization ? undefined : { authorization: false },
      );
  const server = await listen(listener, 0, '127.0.0.1');
  process.on('message', async (request: Request) => {
    switch (request.type) {
      case 'stats': {
        const peak = peakRssMiB();
        // After the peak is read: a collection now changes nothing that was measured.
        globalThis.gc?.();
        send({
          type: 'stats',
          stats: {
            peakRssMiB: peak,
            lastUseWrites: services.lastUse.writes,
            retainedHeapMiB: globalThis.gc ? process.memoryUsage().heapUsed / 2 ** 20 : null,
          },
        });
        break;
      }
      case 'resetPeak':
        send({ type: 'resetPeak', reset: resetPeakRss() });
        break;
      case 'stop':
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await apollo?.stop();
        await closeServices(services);
        process.exit(0);
    }
  });
  // The bench's own process going away leaves no server behind.
  process.on('disconnect', () => process.exit(0));
  const address = server.address();
  send({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
}

if (require.main === module) {
  serve(JSON.parse(process.argv[2] ?? '{}') as BenchServerOptions).catch((error: unknown) => {
    process.stderr.write(`bench server: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
