import { deny, shield } from 'graphql-shield';
import { ForbiddenError } from '../core/errors';
import {
  canChangeOrganization,
  canReadSecurityData,
  hasFullAccess,
  isOrganizationWide,
  isValidToken,
} from './rules';

/**
 * The whole authorization policy of API.md sections 3 and 11, as one table. Queries are open to
 * any valid token, mutations need FULL_ACCESS, and the object fields below need FULL_ACCESS too.
 * Organization-level data and changes (the token list, the audit log, boards, tokens) need an
 * organization-wide token as well; what a board-scoped token may reach otherwise is narrowed by
 * the services (db/board-scope.ts), so an object outside its boards is simply not found. Every
 * other object field is readable by whoever may read its parent.
 */
export const RULES = {
  Query: {
    '*': isValidToken,
    apiTokens: isOrganizationWide,
    auditEvents: isOrganizationWide,
  },
  Mutation: {
    '*': hasFullAccess,
    createBoard: canChangeOrganization,
    updateBoard: canChangeOrganization,
    deleteBoard: canChangeOrganization,
    createApiToken: canChangeOrganization,
    updateApiToken: canChangeOrganization,
    deactivateApiToken: canChangeOrganization,
    activateApiToken: canChangeOrganization,
    revokeApiToken: canChangeOrganization,
    rotateApiToken: canChangeOrganization,
  },
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
