import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Response } from 'express';
import { type Services, pendingMigrations, resolverContainer } from '../app';
import { auditPlugin } from '../audit/audit.plugin';
import { auditRetentionPlugin } from '../audit/audit-retention';
import type { RequestContext } from '../core/context';
import { requestContext } from './request-context';
import {
  graphqlOptions,
  metricsGuard,
  refuseSubscriptions,
  securityHeaders,
} from './security-headers';
import { ErrorCode } from '../core/errors';
import { idempotencyPlugin } from '../idempotency/idempotency.plugin';
import { observeRequests, observed, recordOperations } from './request-log';
import { createErrorFormatter } from './format-error';
import { playground } from './playground/playground';
import { queryLimits } from '../limits/query-limits';
import { queryConcurrency } from '../limits/query-concurrency';
import { queryTimeout } from '../limits/query-timeout';
import { compiledExecution } from './compiled-execution';
import { TOKEN_EXPIRATION_HEADER, tokenExpirationHeader } from '../tokens/token-expiration-header';
import { buildAppSchema, buildBareSchema } from './schema';

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

function refuse(res: Response, status: number, code: string, message: string): void {
  observed(res).record.outcome = code;
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

const isClientError = (status: number | undefined) =>
  status !== undefined && status >= 400 && status < 500;

// Transport refusals (a body that is not JSON, too large) get the same JSON shape as GraphQL's.
const transportErrors =
  (services: Services): ErrorRequestHandler =>
  (error: { type?: string; status?: number }, _req, res, _next) => {
    if (error.type === 'entity.too.large') {
      refuse(
        res,
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        'The request body is larger than 1 MB; send a smaller request.',
      );
    } else if (error.status === 404 || (error.type === undefined && isClientError(error.status))) {
      // express.static refuses a path that climbs out of its folder (403) or does not decode
      // (400): for the client, nothing is there.
      refuse(res, 404, ErrorCode.NOT_FOUND, 'Nothing here: the API is at /graphql.');
    } else if (isClientError(error.status)) {
      refuse(
        res,
        400,
        ErrorCode.BAD_REQUEST,
        'The request body is not valid JSON; send a JSON object.',
      );
    } else {
      services.logger.error({ err: error }, 'unexpected HTTP error');
      refuse(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
    }
  };

/**
 * A switch for bench/ only, never for a deployment: config.ts has no setting that reaches it and
 * main.ts never passes this argument, so a running server always applies authorization.
 */
export interface BenchOnlyOptions {
  /** false: the schema without the shield (and audit) middleware, to measure what it costs. */
  authorization: false;
}

export async function createHttpApp(
  services: Services,
  options: HttpOptions = {},
  benchOnly?: BenchOnlyOptions,
): Promise<HttpApp> {
  const limits = queryLimits(services.metrics);
  const apollo = new ApolloServer<RequestContext>({
    gateway: compiledExecution(
      await (benchOnly?.authorization === false ? buildBareSchema : buildAppSchema)(
        resolverContainer(services),
      ),
    ),
    // BI tools and the playground need the schema; a request without a valid token never gets here.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // No "Did you mean …?": an error does not walk a stranger through the schema.
    hideSchemaDetailsFromClientErrors: true,
    allowBatchedHttpRequests: false,
    // APQ's cache sees no request context: shared by every organization, it would tell one whether
    // another ever sent an exact query text. A request with a persisted-query hash is refused.
    persistedQueries: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // main.ts owns the signals: it drains HTTP first, then stops Apollo, then the database.
    stopOnTerminationSignals: false,
    // Authorization forces a browser preflight, so it proves the request is not a simple CSRF post.
    csrfPrevention: {
      requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'],
    },
    formatError: createErrorFormatter(services.logger),
    logger: services.logger,
    plugins: [
      // The default landing page loads from a CDN; per-field plugins cost time on large lists.
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ...limits.plugins,
      queryConcurrency(services.limits.concurrentQueries, services.metrics),
      queryTimeout(services.limits.queryTimeoutMs, services.metrics),
      auditPlugin(services.audit, services.logger),
      auditRetentionPlugin(services.auditRetention, services.logger),
      idempotencyPlugin(services.idempotency, services.logger),
      recordOperations(),
      refuseSubscriptions(),
      tokenExpirationHeader(),
    ],
  });
  await apollo.start();

  const app = express();
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
      '/graphql',
      cors({
        origin: [...options.corsOrigins],
        methods: ['GET', 'POST'],
        allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
        // A dashboard in a browser paces itself by these, and reports the request id.
        exposedHeaders: [
          'ratelimit-limit',
          'ratelimit-remaining',
          'ratelimit-reset',
          'ratelimit-policy',
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
  app.get('/metrics', metricsGuard(options.metricsToken), async (_req, res) => {
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });
  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: requestContext(services),
    }),
  );
  app.use((_req, res) => {
    refuse(res, 404, 'NOT_FOUND', 'Nothing here: the API is at /graphql.');
  });
  app.use(transportErrors(services));
  return { app, apollo };
}
