import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';

/** The stable `extensions.code` values of API.md section 7 that this code raises itself. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  BAD_REQUEST: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  QUERY_TOO_COSTLY: 'QUERY_TOO_COSTLY',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type AuthenticationFailure =
  'MISSING' | 'MALFORMED' | 'UNKNOWN' | 'EXPIRED' | 'INACTIVE' | 'REVOKED';

/** A request without a usable token: HTTP 401 with `WWW-Authenticate: Bearer` and the reason. */
export class AuthenticationError extends GraphQLError {
  constructor(
    readonly reason: AuthenticationFailure,
    message: string,
  ) {
    super(message, {
      extensions: {
        code: ErrorCode.UNAUTHENTICATED,
        reason,
        http: { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer']]) },
      },
    });
  }
}

/** What a FORBIDDEN names as missing (API.md sections 3 and 11): one of these, or both. */
export interface ForbiddenRequirements {
  requiredPermission?: 'FULL_ACCESS';
  /** An organization-wide token, not one limited to some boards. */
  requiredScope?: 'ORGANIZATION';
}

/** A valid token whose permission level or board scope does not cover the operation or field. */
export class ForbiddenError extends GraphQLError {
  constructor(
    message: string,
    requirements: ForbiddenRequirements = { requiredPermission: 'FULL_ACCESS' },
  ) {
    super(message, { extensions: { code: ErrorCode.FORBIDDEN, ...requirements } });
  }
}

/** Input that breaks a rule; the message names the field and the rule, never the value. */
export class UserInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, {
      extensions: field
        ? { code: ErrorCode.BAD_USER_INPUT, field }
        : { code: ErrorCode.BAD_USER_INPUT },
    });
  }
}

/** An id that is not the id of something in the token's organization. */
export class NotFoundError extends GraphQLError {
  constructor(typeName: string) {
    super(`No ${typeName} with this id exists in this organization; check the id.`, {
      extensions: { code: ErrorCode.NOT_FOUND },
    });
  }
}

/**
 * A query that ran past the server's limit (HTTP 503 with Retry-After, set where the response
 * is sent); thrown by a query's next database read once its time is up, so it stops early.
 */
export class QueryTimeoutError extends GraphQLError {
  constructor(timeoutMs: number) {
    super(
      `The query ran longer than the server's limit of ${timeoutMs / 1000} s and was stopped. ` +
        'Ask for fewer rows per page (a smaller `first`) or fewer fields, then retry.',
      { extensions: { code: ErrorCode.QUERY_TIMEOUT } },
    );
  }
}

/** The codes Apollo Server raises itself (and the cost limit reuses for its refusal). */
export const ApolloErrorCode = {
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
} as const;

/** The codes a client may see as they are; anything else is an internal error to be masked. */
export const PUBLIC_ERROR_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  ...Object.values(ApolloErrorCode),
]);
