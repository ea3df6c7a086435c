import type { Authenticator } from '../auth/authenticate';
import type { RequestContext } from '../core/context';
import { AuthenticationError, ErrorCode } from '../core/errors';
import type { Metrics } from '../core/metrics';
import type { CostBudget } from '../limits/cost-budget';
import { type RateLimits, RateLimitedError } from '../limits/rate-limits';
import { documentKey, takenAheadOf } from '../limits/request-cost';
import type { GraphQLHttpContextArgument, GraphQLHttpRequest } from './graphql-http';
import { observed } from './request-log';
import { searchOf } from './request-target';

/** What the context function uses; app.ts's services satisfy it. */
export interface ContextServices {
  authenticator: Pick<Authenticator, 'authenticate'>;
  rateLimits: Pick<RateLimits, 'addressCheck' | 'recordAuthFailure'>;
  metrics: Pick<Metrics, 'authenticationFailures' | 'rateLimited'>;
  costBudget: CostBudget;
}

/** The document a request sends, as the cost plugin will see it (a GET's in its query string). */
function documentOf(req: GraphQLHttpRequest): string | undefined {
  if (req.method === 'GET') {
    const params = new URLSearchParams(searchOf(req.url));
    return documentKey(params.get('query') ?? undefined, params.get('operationName') ?? undefined);
  }
  if (typeof req.body !== 'object' || req.body === null) {
    return undefined;
  }
  const { query, operationName } = req.body as Record<string, unknown>;
  return documentKey(query, operationName);
}

/**
 * Apollo's context function, once per GraphQL request before anything is parsed: the token is
 * authenticated, and an address that keeps failing to authenticate is refused before any answer
 * (on PostgreSQL its count is read in the token look-up's statement: auth/authenticate.ts); what
 * a token may spend is its cost budget, charged once the operation is known
 * (limits/cost-plugin.ts), part of it taken ahead in the same statement. Refusals are 401 or
 * 429, counted in metrics and never audited.
 */
export function requestContext(services: ContextServices) {
  const { authenticator, rateLimits, metrics, costBudget } = services;
  return async ({ req, res }: GraphQLHttpContextArgument): Promise<RequestContext> => {
    const meta = observed(res);
    const address = meta.ip ?? 'unknown';
    try {
      let context: RequestContext;
      try {
        const document = documentOf(req);
        context = await authenticator.authenticate(
          req.headers.authorization,
          meta,
          rateLimits.addressCheck(address),
          (secretHash) => costBudget.ahead(secretHash, document),
        );
      } catch (error) {
        if (error instanceof AuthenticationError) {
          meta.record.outcome = ErrorCode.UNAUTHENTICATED;
          meta.record.reason = error.reason;
          metrics.authenticationFailures.inc({ reason: error.reason });
          await rateLimits.recordAuthFailure(address);
        }
        throw error;
      }
      meta.record.tokenId = context.token.id;
      // Apollo refuses some requests after this function and before any plugin hook (a body
      // whose variables are not an object), and a client may leave meanwhile: what was taken
      // ahead is given back once the response is over (at once if it already is).
      const ahead = takenAheadOf(context.request);
      if (ahead) {
        const giveBack = () => void costBudget.giveBack(ahead).catch(() => undefined);
        if (res.closed) {
          giveBack();
        } else {
          res.once('close', giveBack);
        }
      }
      return context;
    } catch (error) {
      if (error instanceof RateLimitedError) {
        meta.record.outcome = ErrorCode.RATE_LIMITED;
        metrics.rateLimited.inc({ limit: 'address' });
      }
      throw error;
    }
  };
}
