import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import type { RequestContext } from '../core/context';
import { ErrorCode } from '../core/errors';
import { pendingMigrations } from '../db/migrate';
import { type BenchOnlyOptions, createApolloServer } from './apollo-server';
import { tokenConsole } from './console/console';
import { exportRoutes } from './exports/export-route';
import { playground } from './playground/playground';
import { TOKEN_EXPIRATION_HEADER } from '../tokens/token-expiration-header';
import { requestContext } from './request-context';
import { servingOriginForm } from './request-target';
import { observeRequests } from './request-log';
import { graphqlOptions, metricsGuard, securityHeaders } from './security-headers';
import type { ServerServices } from './server-services';
import { acceptsJsonAnswer, refuse, transportErrors } from './transport-errors';

export type { BenchOnlyOptions } from './apollo-server';

export const MAX_BODY_BYTES = 1024 * 1024;

/** The HTTP app: GraphQL at /graphql, health and readiness; no business logic. */
export interface HttpApp {
  app: express.Express;
  apollo: ApolloServer<RequestContext>;
}

export interface HttpOptions {
  /** Origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins?: readonly string[];
  /**
   * Proxies whose X-Forwarded-For names the client; none by default. Last-used and audit
   * addresses (and per-address limits) see the client only through a trusted proxy.
   */
  trustedProxies?: readonly string[];
  /** A bearer token `/metrics` requires (`METRICS_TOKEN`); open when absent. */
  metricsToken?: string;
}

/**
 * The Express app: health, readiness and metrics, the playground, the exports (/export), and
 * Apollo at /graphql behind CORS and the JSON body limit; refusals of the transport in GraphQL's error shape.
 */
export async function createHttpApp(
  services: ServerServices,
  options: HttpOptions = {},
  benchOnly?: BenchOnlyOptions,
): Promise<HttpApp> {
  const apollo = await createApolloServer(services, benchOnly);

  const app = express();
  servingOriginForm(app);
  app.disable('x-powered-by');
  // Express would hash every response body for an ETag (a SHA-1 of each 1000-row page); GraphQL
  // answers are not revalidated by clients, and the playground's assets carry their own.
  app.set('etag', false);
  app.set(
    'trust proxy',
    options.trustedProxies && options.trustedProxies.length > 0
      ? [...options.trustedProxies]
      : false,
  );
  app.use(securityHeaders());
  app.use(observeRequests(services.logger, services.metrics));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const pending = await pendingMigrations(services.db);
      res
        .status(pending.length > 0 ? 503 : 200)
        .json({ status: pending.length > 0 ? 'migrations pending' : 'ready' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  // CORS first: the playground's GET route would otherwise answer a preflight itself.
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.use(
      ['/graphql', '/export'],
      cors({
        origin: [...options.corsOrigins],
        methods: ['GET', 'POST'],
        allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
        // A dashboard in a browser paces itself by these, and reports the request id.
        exposedHeaders: [
          'ratelimit-limit',
          'ratelimit-remaining',
          'ratelimit-reset',
          'retry-after',
          'idempotency-replayed',
          'x-request-id',
          TOKEN_EXPIRATION_HEADER,
        ],
        maxAge: 600,
      }),
    );
  }
  app.options('/graphql', graphqlOptions());
  app.use(playground());
  app.use(tokenConsole());
  app.get('/metrics', metricsGuard(options.metricsToken), async (_req, res) => {
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });
  app.use('/export', exportRoutes(services));
  app.use(
    '/graphql',
    acceptsJsonAnswer,
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: requestContext(services),
    }),
  );
  app.use((_req, res) => {
    refuse(res, 404, ErrorCode.NOT_FOUND, 'Nothing here: the API is at /graphql.');
  });
  app.use(transportErrors(services.logger));
  return { app, apollo };
}
