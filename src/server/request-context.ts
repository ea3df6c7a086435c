import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import type { Authenticator } from '../auth/authenticate';
import type { RequestContext } from '../core/context';
import { AuthenticationError, ErrorCode } from '../core/errors';
import type { Metrics } from '../core/metrics';
import { type RateLimits, RateLimitedError, quotaHeaders } from '../limits/rate-limits';
import { observed } from './request-log';

/** What the context function uses; app.ts's services satisfy it. */
export interface ContextServices {
  authenticator: Pick<Authenticator, 'authenticate'>;
  rateLimits: Pick<RateLimits, 'refuseBlockedAddress' | 'recordAuthFailure' | 'consumeRequest'>;
  metrics: Pick<Metrics, 'authenticationFailures' | 'rateLimited'>;
}

/**
 * Apollo's context function, once per GraphQL request before anything is parsed: an address
 * that keeps failing to authenticate is refused before its token is looked up; then the token
 * is authenticated, and its request counted against its quota, which every response reports in
 * `RateLimit-*` headers. Refusals are 401 or 429, counted in metrics and never audited.
 */
export function requestContext(services: ContextServices) {
  const { authenticator, rateLimits, metrics } = services;
  return async ({ req, res }: ExpressContextFunctionArgument): Promise<RequestContext> => {
    const meta = observed(res);
    const address = meta.ip ?? 'unknown';
    let limit: 'address' | 'token' = 'address';
    try {
      await rateLimits.refuseBlockedAddress(address);
      let context: RequestContext;
      try {
        context = await authenticator.authenticate(req.headers.authorization, meta);
      } catch (error) {
        if (error instanceof AuthenticationError) {
          meta.record.outcome = ErrorCode.UNAUTHENTICATED;
          meta.record.reason = error.reason;
          metrics.authenticationFailures.inc({ reason: error.reason });
          await rateLimits.recordAuthFailure(address);
        }
        throw error;
      }
      limit = 'token';
      meta.record.tokenId = context.token.id;
      const quota = await rateLimits.consumeRequest(context.token.id);
      for (const [name, value] of quotaHeaders(quota)) {
        res.setHeader(name, value);
      }
      return context;
    } catch (error) {
      if (error instanceof RateLimitedError) {
        meta.record.outcome = ErrorCode.RATE_LIMITED;
        metrics.rateLimited.inc({ limit });
      }
      throw error;
    }
  };
}
