import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { ApolloServer } from '@apollo/server';
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
import { clientAddress } from './client-address';
import { graphqlHttp } from './graphql-http';
import { type HttpStep, runSteps } from './http-steps';
import { requestContext } from './request-context';
import { originForm } from './request-target';
import { observeRequests } from './request-log';
import {
  graphqlMethods,
  graphqlOptions,
  hostRequired,
  metricsGuard,
  securityHeaders,
} from './security-headers';
import type { ServerServices } from './server-services';
import { acceptsJsonAnswer, jsonBody, refuse, transportErrors } from './transport-errors';

export type { BenchOnlyOptions } from './apollo-server';

export const MAX_BODY_BYTES = 1024 * 1024;

/** The HTTP app: GraphQL at /graphql, health and readiness; no business logic. */
export interface HttpApp {
  /** The server's request listener: `createServer(listener)`. */
  listener: RequestListener;
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
 * The request listener. `POST /graphql`, nearly every request a BI tool or a script sends, is
 * served by its steps alone; every other request by the Express app: health, readiness and
 * metrics, the playground and the console, the exports (/export), GraphQL's other methods and
 * spellings, and the 404. Express changes the prototype of every request and response it
 * handles and walks its router for each: without it, a board by id answers 1.32× the requests a
 * second (`bench/hot-path.ts` against the build before). The steps are the same functions on
 * both paths, so both answer alike (`test/e2e/graphql-post.test.ts`). Every request target is in
 * origin form before either sees it (request-target.ts).
 */
export async function createHttpApp(
  services: ServerServices,
  options: HttpOptions = {},
  benchOnly?: BenchOnlyOptions,
): Promise<HttpApp> {
  const apollo = await createApolloServer(services, benchOnly);
  const corsStep: HttpStep | undefined =
    options.corsOrigins && options.corsOrigins.length > 0
      ? cors({
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
        })
      : undefined;
  const everyRequest: HttpStep[] = [
    securityHeaders(),
    observeRequests(services.logger, services.metrics, clientAddress(options.trustedProxies)),
    hostRequired,
  ];
  const graphql: HttpStep[] = [
    acceptsJsonAnswer,
    jsonBody(MAX_BODY_BYTES),
    graphqlHttp(apollo, requestContext(services)),
  ];
  const refusals = transportErrors(services.logger);
  const app = expressApp(services, { everyRequest, corsStep, graphql, refusals }, options);
  const graphqlPost = runSteps(
    [...everyRequest, ...(corsStep ? [corsStep] : []), ...graphql],
    refusals,
  );
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== undefined && !req.url.startsWith('/')) {
      req.url = originForm(req.url);
    }
    if (req.method === 'POST' && isGraphqlPath(req.url)) {
      graphqlPost(req, res);
    } else {
      app(req, res);
    }
  };
  return { listener, apollo };
}

/** A server of `listener` listening on `host:port` (port 0: a free one), once it listens. */
export function listen(listener: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // A request without the Host header HTTP/1.1 requires is refused by our own step (as JSON,
    // logged), not by Node with an empty 400 before any step sees it.
    const server = createServer({ requireHostHeader: false }, listener);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
    server.listen(port, host);
  });
}

/** `/graphql`, with or without a query string: the path `POST` is served on without Express. */
function isGraphqlPath(url: string | undefined): boolean {
  return url === '/graphql' || (url?.startsWith('/graphql?') ?? false);
}

interface Steps {
  everyRequest: readonly HttpStep[];
  corsStep: HttpStep | undefined;
  graphql: readonly HttpStep[];
  refusals: ReturnType<typeof transportErrors>;
}

/**
 * The Express app: health, readiness and metrics, the playground, the exports (/export), and
 * Apollo at /graphql behind CORS and the JSON body limit; refusals of the transport in GraphQL's error shape.
 */
function expressApp(services: ServerServices, steps: Steps, options: HttpOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // `/GRAPHQL` is not the API (nor `/Console`, nor `/Export/…`): one spelling for every path, as
  // the direct path of `POST /graphql`, the request log and the metrics read it.
  app.set('case sensitive routing', true);
  // Express would hash every response body for an ETag (a SHA-1 of each 1000-row page); GraphQL
  // answers are not revalidated by clients, and the playground's assets carry their own.
  app.set('etag', false);
  app.use(...steps.everyRequest);
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
  // CORS first: the playground's GET route would otherwise answer a preflight itself. The path
  // itself only (`/graphql/<anything>` is a 404, not a preflight); an export's path below /export.
  const optionsRequest = graphqlOptions();
  app.options('/graphql', optionsRequest.allow);
  if (steps.corsStep) {
    app.all('/graphql', steps.corsStep);
    app.use('/export', steps.corsStep);
  }
  app.options('/graphql', optionsRequest.answer);
  app.use(playground());
  app.use(tokenConsole());
  app.get('/metrics', metricsGuard(options.metricsToken), async (_req, res) => {
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });
  app.use('/export', exportRoutes(services));
  // The path itself (and `/graphql/`), not every path under it: `/graphql/<anything>` is a 404.
  app.all('/graphql', graphqlMethods, ...steps.graphql);
  app.use((_req, res) => {
    refuse(res, 404, ErrorCode.NOT_FOUND, 'Nothing here: the API is at /graphql.');
  });
  app.use(steps.refusals);
  return app;
}
