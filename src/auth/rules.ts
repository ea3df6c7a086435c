import { rule } from 'graphql-shield';
import type { RequestContext } from '../core/context';
import { ForbiddenError } from '../core/errors';
import { TokenPermission } from '../tokens/token-permission';

// Rules only read the context that authentication built: they never touch the database.

export const READ_ONLY_MUTATION_MESSAGE =
  'This operation requires a full-access API token; this token is read-only.';
export const READ_ONLY_FIELD_MESSAGE =
  'This field requires a full-access API token; this token is read-only. The rest of the data is unaffected.';
export const SCOPED_MESSAGE =
  'This operation requires an organization-wide API token; this token is limited to some boards.';
export const SCOPED_READ_ONLY_MESSAGE =
  'This operation requires an organization-wide, full-access API token; this token is read-only and limited to some boards.';

type Context = Partial<RequestContext>;

const hasFull = (ctx: Context) => ctx.permission === TokenPermission.FULL_ACCESS;
// Undefined (no context) counts as scoped: deny unless authentication said organization-wide.
const isWide = (ctx: Context) => ctx.boardScope === null;

/** Any authenticated request (authentication has already refused the others with 401). */
export const isValidToken = rule('isValidToken', { cache: 'contextual' })(
  (_parent, _args, ctx: Context) => ctx.token !== undefined && ctx.token !== null,
);

/** Mutations: FULL_ACCESS only. */
export const hasFullAccess = rule('hasFullAccess', { cache: 'contextual' })(
  (_parent, _args, ctx: Context) => hasFull(ctx) || new ForbiddenError(READ_ONLY_MUTATION_MESSAGE),
);

/** Organization-level data (the token list, the audit log): not for a board-scoped token. */
export const isOrganizationWide = rule('isOrganizationWide', { cache: 'contextual' })(
  (_parent, _args, ctx: Context) =>
    isWide(ctx) || new ForbiddenError(SCOPED_MESSAGE, { requiredScope: 'ORGANIZATION' }),
);

/**
 * Organization-level changes (boards, tokens): FULL_ACCESS and organization-wide; the FORBIDDEN
 * names whichever is missing, or both.
 */
export const canChangeOrganization = rule('canChangeOrganization', { cache: 'contextual' })((
  _parent,
  _args,
  ctx: Context,
) => {
  if (hasFull(ctx) && isWide(ctx)) {
    return true;
  }
  if (isWide(ctx)) {
    return new ForbiddenError(READ_ONLY_MUTATION_MESSAGE);
  }
  return hasFull(ctx)
    ? new ForbiddenError(SCOPED_MESSAGE, { requiredScope: 'ORGANIZATION' })
    : new ForbiddenError(SCOPED_READ_ONLY_MESSAGE, {
        requiredPermission: 'FULL_ACCESS',
        requiredScope: 'ORGANIZATION',
      });
});

/** Security data on object fields: FULL_ACCESS only; a READ_ONLY token gets null and an error there. */
export const canReadSecurityData = rule('canReadSecurityData', { cache: 'contextual' })(
  (_parent, _args, ctx: Context) => hasFull(ctx) || new ForbiddenError(READ_ONLY_FIELD_MESSAGE),
);
