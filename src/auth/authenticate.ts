import { AuditScope } from '../core/audit-scope';
import type { RequestContext, RequestMeta } from '../core/context';
import { type Clock, systemClock } from '../core/clock';
import { Loaders } from '../core/loaders';
import { AuthenticationError } from '../core/errors';
import type { ApiToken } from '../tokens/api-token.entity';
import { tokenStatus } from '../tokens/api-token.entity';
import type { LastUseRecorder } from '../tokens/last-use';
import type { AddressCheck } from '../limits/rate-limits';
import { type SideRead, type SideValues, sideReadsTogether } from '../db/side-read';
import type { BudgetAhead } from '../limits/cost-budget';
import { setTakenAhead } from '../limits/request-cost';
import type { Organization } from '../organizations/organization.entity';
import { hashSecret, isWellFormedSecret } from '../tokens/secret';
import { ApiTokenStatus } from '../tokens/token-permission';

export interface TokenLookup {
  /** The token of a secret by the secret's hash (tokens/secret.ts `hashSecret`). */
  findByHash(
    hash: string,
    alongside?: SideRead,
  ): Promise<{ token: ApiToken | null; alongside?: SideValues }>;
}

/** What is taken ahead of a request from its token's budget (limits/cost-budget.ts `ahead`). */
export type TakeAhead = (secretHash: string) => BudgetAhead;

/** No address to check (a test's or the bench's context built without a request). */
const NO_ADDRESS_CHECK: AddressCheck = {
  alongside: null,
  refuseKnown: () => undefined,
  refuse: async () => undefined,
};

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

/**
 * Turns a request's Authorization header into the request context, or refuses it with 401 and a
 * reason (or 429 when the client's address is blocked: checked before any answer). Runs once per
 * request, before any resolver; the format and checksum are checked before the database is
 * asked, and on PostgreSQL the address's failure count is read, and the request's cost points
 * are taken ahead (`takeAhead`), in the token look-up's statement: one statement in all for a
 * valid token. Nothing is cached: a change to a token holds from its next request on.
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
    address: AddressCheck = NO_ADDRESS_CHECK,
    takeAhead?: TakeAhead,
  ): Promise<RequestContext> {
    address.refuseKnown();
    const alongside = address.alongside ?? undefined;
    if (alongside === undefined) {
      await address.refuse();
    }
    const found = await this.lookUp(authorization, address, alongside, takeAhead);
    let context: RequestContext;
    try {
      context = this.contextOf(found.token, request);
    } catch (error) {
      await found.ahead?.outcome(null, found.values);
      throw error;
    }
    const taken = await found.ahead?.outcome(found.token.id, found.values);
    if (taken) {
      setTakenAhead(request, taken);
    }
    return context;
  }

  /** The context of a request by `token`, or the refusal of a token that does not work now. */
  private contextOf(
    token: ApiToken & { organization: Organization },
    request: RequestMeta,
  ): RequestContext {
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

  /**
   * The token of the header's secret with its organization, the address checked first (or, with
   * `alongside`, in the same statement), the take ahead in the same statement; 401 for a secret
   * that is missing, malformed or unknown (what was taken ahead then given back).
   */
  private async lookUp(
    authorization: string | undefined,
    address: AddressCheck,
    alongside: SideRead | undefined,
    takeAhead: TakeAhead | undefined,
  ): Promise<{
    token: ApiToken & { organization: Organization };
    ahead: BudgetAhead | undefined;
    values: SideValues | undefined;
  }> {
    // Refused before any answer: checked already, unless it was to be read along.
    const refuseFirst = () => (alongside === undefined ? undefined : address.refuse());
    if (authorization === undefined || authorization.trim() === '') {
      await refuseFirst();
      throw new AuthenticationError(
        'MISSING',
        'No API token was sent. Send one in the Authorization header: "Authorization: Bearer sgp_…".',
      );
    }
    const secret = BEARER.exec(authorization)?.[1];
    if (secret === undefined || !isWellFormedSecret(secret)) {
      await refuseFirst();
      throw new AuthenticationError(
        'MALFORMED',
        'The Authorization header does not hold a statusgraph API token: expected "Bearer sgp_" followed by ' +
          '36 letters and digits with a valid checksum. Check for a typo or a truncated paste.',
      );
    }
    const hash = hashSecret(secret);
    const ahead = takeAhead?.(hash);
    let found: { token: ApiToken | null; alongside?: SideValues } = { token: null };
    try {
      found = await this.tokens.findByHash(hash, sideReadsTogether(alongside, ahead?.alongside));
      if (alongside !== undefined) {
        await address.refuse(found.alongside);
      }
      if (found.token === null || found.token.organization === undefined) {
        throw new AuthenticationError(
          'UNKNOWN',
          'This API token is not known: it may have been rotated, or belong to another installation. ' +
            'Use the current secret or create a new token.',
        );
      }
    } catch (error) {
      await ahead?.outcome(null, found.alongside);
      throw error;
    }
    return {
      token: found.token as ApiToken & { organization: Organization },
      ahead,
      values: found.alongside,
    };
  }
}
