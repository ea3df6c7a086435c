import './core/production-mode';
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { closeServices, openServices, type Services } from './app';
import { ConfigError, DEFAULT_HOST, loadConfig, localBaseUrl, resolveLimits } from './core/config';
import { withEnvFile } from './core/env-file';
import { seedDemoOnStart } from './demo/demo-start';
import { trackConnections } from './server/graceful-close';
import { createLogger } from './core/logger';
import { threadPoolSetting } from './core/thread-pool';
import type { Organization } from './organizations/organization.entity';
import { createHttpApp, listen } from './server/http-app';
import { answerParserRefusals } from './server/parser-refusals';

/**
 * On an empty database: organization "Default" and one FULL_ACCESS secret, printed once.
 * Returns the organization it created, or null when there were organizations already.
 */
async function bootstrap(services: Services, base: string): Promise<Organization | null> {
  const first = await services.organizations.createFirst('Default', 'bootstrap');
  if (!first) {
    return null;
  }
  const { organization, secret } = first;
  const url = `${base}/graphql`;
  process.stdout.write(
    [
      '',
      `Created organization "${organization.name}" and its first full-access API token.`,
      'This secret is shown only now; store it safely:',
      '',
      `  ${secret}`,
      '',
      `GraphQL endpoint and playground: ${url}`,
      `Try it: curl -s ${url} -H 'Authorization: Bearer ${secret}' -H 'Content-Type: application/json' \\`,
      `         -d '{"query":"{ viewer { permission organization { name } } }"}'`,
      '',
      `Token console, to manage tokens in a browser: ${base}/console`,
      '',
      `Organization id (for statusgraph token create --org): ${organization.id}`,
      '',
      '',
    ].join('\n'),
  );
  return organization;
}

/** How long requests in flight may take to finish after SIGTERM before their connections close. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const env = withEnvFile(process.env, process.cwd());
  const config = loadConfig(env);
  const threads = threadPoolSetting(resolveLimits(config), env);
  process.env.UV_THREADPOOL_SIZE = String(threads);
  const logger = createLogger(config.logLevel);
  const services = await openServices(config, logger).catch((error: unknown) => {
    throw new ConfigError(
      `cannot open the database of DATABASE_URL: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const { listener, apollo } = await createHttpApp(services, {
    corsOrigins: config.corsOrigins,
    trustedProxies: config.trustedProxies,
    metricsToken: config.metricsToken,
  });
  // Listen before the first-start bootstrap, so a port in use stops us before a secret is printed.
  const server = await listen(listener, config.port, config.host ?? DEFAULT_HOST);
  answerParserRefusals(server, services.metrics, services.logger);
  const connections = trackConnections(server);
  const host = config.host ?? DEFAULT_HOST;
  const base = localBaseUrl(host, (server.address() as AddressInfo).port);
  const bootstrapped = await bootstrap(services, base);
  if (process.argv.includes('--demo')) {
    process.stdout.write(`${await seedDemoOnStart(services, bootstrapped)}\n`);
  }
  logger.info(
    { port: config.port, host, threads },
    `statusgraph listening on ${base}/graphql (token console: /console)`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    // Stop accepting, let every response in flight finish, then flush last use and close the
    // database.
    await connections.close(SHUTDOWN_GRACE_MS);
    await apollo.stop();
    await closeServices(services);
    logger.info({ signal }, 'stopped');
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  // One clear line, exit code 1: a bad setting, an unreachable database, a port in use.
  const message =
    error instanceof ConfigError
      ? error.message
      : error instanceof Error && 'code' in error && error.code === 'EADDRINUSE'
        ? `port is already in use (${error.message}); set PORT to a free port.`
        : `could not start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`statusgraph: ${message}\n`);
  process.exit(1);
});
