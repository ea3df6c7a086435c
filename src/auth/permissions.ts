import { deny, shield } from 'graphql-shield';
import { ForbiddenError } from '../core/errors';
import { canReadSecurityData, hasFullAccess, isValidToken } from './rules';

/**
 * The whole authorization policy of API.md section 3, as one table. Queries are open to any valid
 * token, mutations need FULL_ACCESS, and the object fields below need FULL_ACCESS too. Every other
 * object field is readable by whoever may read its parent.
 */
export const RULES = {
  Query: { '*': isValidToken },
  Mutation: { '*': hasFullAccess },
  Monitor: { requestHeaders: canReadSecurityData },
  ApiToken: { lastUsedIp: canReadSecurityData, lastUsedUserAgent: canReadSecurityData },
  AuditEvent: { ip: canReadSecurityData },
};

export const permissions = shield(RULES, {
  // Deny by default: a root field without a rule is unreachable.
  fallbackRule: deny,
  fallbackError: new ForbiddenError('This field is not available to any API token.'),
  // Errors thrown by resolvers (NOT_FOUND, BAD_USER_INPUT, ...) keep their own codes.
  allowExternalErrors: true,
  debug: false,
});
