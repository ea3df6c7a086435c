import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import type { Authenticator } from '../auth/authenticate';
import type { RequestContext } from '../core/context';
import { AuthenticationError, ErrorCode } from '../core/errors';
import type { Metrics } from '../core/metrics';
import { type RateLimits, RateLimitedError } from '../limits/rate-limits';
import { observed } from './request-log';

/** What the context function uses; app.ts's services satisfy it. */
export interface ContextServices {
  authenticator: Pick<Authenticator, 'authenticate'>;
  rateLimits: Pick<RateLimits, 'addressCheck' | 'recordAuthFailure'>;
  metrics: Pick<Metrics, 'authenticationFailures' | 'rateLimited'>;
}

/**
 * Apollo's context function, once per GraphQL request before anything is parsed: the token is
 * authenticated, and an address that keeps failing to authenticate is refused before any answer
 * (on PostgreSQL its count is read in the token look-up's statement: auth/authenticate.ts); what
 * a token may spend is its cost budget, charged once the operation is known
 * (limits/cost-plugin.ts). Refusals are 401 or 429, counted in metrics and never audited.
 */
export function requestContext(services: ContextServices) {
  const { authenticator, rateLimits, metrics } = services;
  return async ({ req, res }: ExpressContextFunctionArgument): Promise<RequestContext> => {
    const meta = observed(res);
    const address = meta.ip ?? 'unknown';
    try {
      let context: RequestContext;
      try {
        context = await authenticator.authenticate(
          req.headers.authorization,
          meta,
          rateLimits.addressCheck(address),
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
