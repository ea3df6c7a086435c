import 'reflect-metadata';
import { closeServices, openServices } from '../src/app';
import { DEFAULT_HOST, loadConfig } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import { createHttpApp, listen } from '../src/server/http-app';

/**
 * The server as `src/main.ts` runs it, but with the two fixed query slots the fair scheduler
 * replaced (BenchOnlyOptions.twoQuerySlots): `npm run load -- --slots two` compares the two. A
 * bench entry point only; nothing a deployment starts reaches this switch.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const services = await openServices(config, createLogger(config.logLevel));
  const { listener, apollo } = await createHttpApp(services, {}, { twoQuerySlots: true });
  const server = await listen(listener, config.port, config.host ?? DEFAULT_HOST);
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => {
      void apollo
        .stop()
        .then(() => closeServices(services))
        .then(() => process.exit(0));
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
