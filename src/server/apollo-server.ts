import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { auditRetentionPlugin } from '../audit/audit-retention';
import { auditPlugin } from '../audit/audit.plugin';
import type { RequestContext } from '../core/context';
import { idempotencyPlugin } from '../idempotency/idempotency.plugin';
import { costBudgetPlugin } from '../limits/cost-plugin';
import { fairScheduling } from '../limits/fair-scheduling.plugin';
import { queryConcurrency } from '../limits/query-concurrency';
import { queryLimits } from '../limits/query-limits';
import { queryTimeout } from '../limits/query-timeout';
import { compiledExecution } from './compiled-execution';
import { tokenExpirationHeader } from '../tokens/token-expiration-header';
import { createErrorFormatter } from './format-error';
import { recordOperations } from './request-log';
import { persistedQueryRefusalsAre400, refuseSubscriptions } from './security-headers';
import { buildAppSchema, buildBareSchema } from './schema';
import type { ServerServices } from './server-services';

/**
 * A switch for bench/ only, never for a deployment: config.ts has no setting that reaches it and
 * main.ts never passes this argument, so a running server always applies authorization.
 */
export interface BenchOnlyOptions {
  /** false: the schema without the shield (and audit) middleware, to measure what it costs. */
  authorization?: false;
  /** true: the two fixed query slots in place of the fair scheduler, for comparison. */
  twoQuerySlots?: true;
}

/**
 * Apollo Server as statusgraph configures it: the schema with its rule map, compiled execution,
 * the document limits and the cross-cutting plugins, in the order a request meets them. The
 * HTTP routes around it are http-app.ts's.
 */
export async function createApolloServer(
  services: ServerServices,
  benchOnly?: BenchOnlyOptions,
): Promise<ApolloServer<RequestContext>> {
  const limits = queryLimits(services.metrics);
  const apollo = new ApolloServer<RequestContext>({
    gateway: compiledExecution(
      await (benchOnly?.authorization === false ? buildBareSchema : buildAppSchema)(
        services.resolvers,
      ),
      services.db,
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
      benchOnly?.twoQuerySlots
        ? queryConcurrency(2, services.metrics)
        : fairScheduling(services.scheduler, services.metrics),
      queryTimeout(
        services.limits.queryTimeoutMs,
        services.metrics,
        services.clock,
        services.deadlineTimer,
      ),
      // After the timeout's answer replaces a body, before the idempotency plugin stores it.
      costBudgetPlugin(services.costBudget, services.metrics, services.limits.costPerRequest),
      auditPlugin(services.audit, services.logger),
      auditRetentionPlugin(services.auditRetention, services.logger),
      idempotencyPlugin(services.idempotency, services.logger),
      recordOperations(),
      refuseSubscriptions(),
      persistedQueryRefusalsAre400(),
      tokenExpirationHeader(),
    ],
  });
  await apollo.start();
  return apollo;
}
