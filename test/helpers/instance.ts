import { Writable } from 'node:stream';
import { closeServices, openServices, type Services } from '../../src/app';
import type { Clock } from '../../src/core/clock';
import type { Config, DatabaseConfig } from '../../src/core/config';
import { createLogger } from '../../src/core/logger';
import { createHttpApp, listen } from '../../src/server/http-app';

/** One API instance in this process: its own Services (and connection pool) and HTTP server. */
export interface Instance {
  services: Services;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts an instance on `database` — two on one PostgreSQL schema are two clients of the
 * database, like two processes. Its log lines (level warn and above) go to `logLines`.
 */
export async function startInstance(
  database: DatabaseConfig,
  limits: Config['limits'],
  logLines: string[] = [],
  clock?: Clock,
): Promise<Instance> {
  const config: Config = {
    port: 0,
    database,
    logLevel: 'warn',
    lastUsedWriteIntervalSeconds: 60,
    limits,
  };
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const services = await openServices(config, createLogger('warn', capture), { clock });
  const { listener, apollo } = await createHttpApp(services);
  const server = await listen(listener, 0, '127.0.0.1');
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('no port');
  }
  return {
    services,
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await apollo.stop();
      await closeServices(services);
    },
  };
}
