import { AuditScope } from '../core/audit-scope';
import type { RequestContext, RequestMeta } from '../core/context';
import { type Clock, systemClock } from '../core/clock';
import { Loaders } from '../core/loaders';
import { AuthenticationError } from '../core/errors';
import type { ApiToken } from '../tokens/api-token.entity';
import { tokenStatus } from '../tokens/api-token.entity';
import type { LastUseRecorder } from '../tokens/last-use';
import { isWellFormedSecret } from '../tokens/secret';
import { ApiTokenStatus } from '../tokens/token-permission';

export interface TokenLookup {
  findBySecret(secret: string): Promise<ApiToken | null>;
}

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

/**
 * Turns a request's Authorization header into the request context, or refuses it with 401 and a
 * reason. Runs once per request, before any resolver; the format and checksum are checked before
 * the database is asked. Nothing is cached: a change to a token holds from its next request on.
 */
export class Authenticator {
  constructor(
    private readonly tokens: TokenLookup,
    private readonly lastUse: LastUseRecorder,
    // Expiry and the last-use stamp read it: tests move it past a token's expiresAt.
    private readonly clock: Clock = systemClock,
  ) {}

  async authenticate(
    authorization: string | undefined,
    request: RequestMeta,
  ): Promise<RequestContext> {
    if (authorization === undefined || authorization.trim() === '') {
      throw new AuthenticationError(
        'MISSING',
        'No API token was sent. Send one in the Authorization header: "Authorization: Bearer sgp_…".',
      );
    }
    const secret = BEARER.exec(authorization)?.[1];
    if (secret === undefined || !isWellFormedSecret(secret)) {
      throw new AuthenticationError(
        'MALFORMED',
        'The Authorization header does not hold a statusgraph API token: expected "Bearer sgp_" followed by ' +
          '36 letters and digits with a valid checksum. Check for a typo or a truncated paste.',
      );
    }
    const token = await this.tokens.findBySecret(secret);
    if (token === null || token.organization === undefined) {
      throw new AuthenticationError(
        'UNKNOWN',
        'This API token is not known: it may have been rotated, or belong to another installation. ' +
          'Use the current secret or create a new token.',
      );
    }
    const now = this.clock.now();
    switch (tokenStatus(token, now)) {
      case ApiTokenStatus.REVOKED:
        throw new AuthenticationError(
          'REVOKED',
          `API token was revoked at ${token.revokedAt?.toISOString()}; revocation is permanent, create a new token.`,
        );
      case ApiTokenStatus.EXPIRED:
        throw new AuthenticationError(
          'EXPIRED',
          `API token expired at ${token.expiresAt?.toISOString()}; create a new token or extend this one.`,
        );
      case ApiTokenStatus.INACTIVE:
        throw new AuthenticationError(
          'INACTIVE',
          'API token is inactive; activate it again (activateApiToken, with a full-access token) or use another token.',
        );
      case ApiTokenStatus.ACTIVE:
        break;
    }
    this.lastUse.note(token.id, { at: now, ip: request.ip, userAgent: request.userAgent });
    this.lastUse.apply(token);
    return {
      token,
      organization: token.organization,
      permission: token.permission,
      boardScope: token.boardScoped ? (token.scopeBoardIds ?? []) : null,
      request,
      audit: new AuditScope(),
      loaders: new Loaders(),
    };
  }
}
