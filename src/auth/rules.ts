import { rule } from 'graphql-shield';
import type { RequestContext } from '../core/context';
import { ForbiddenError } from '../core/errors';
import { TokenPermission } from '../tokens/token-permission';

// Rules only read the context that authentication built: they never touch the database.

export const READ_ONLY_MUTATION_MESSAGE =
  'This operation requires a full-access API token; this token is read-only.';
export const READ_ONLY_FIELD_MESSAGE =
  'This field requires a full-access API token; this token is read-only. The rest of the data is unaffected.';

/** Any authenticated request (authentication has already refused the others with 401). */
export const isValidToken = rule('isValidToken', { cache: 'contextual' })(
  (_parent, _args, ctx: Partial<RequestContext>) => ctx.token !== undefined && ctx.token !== null,
);

/** Mutations: FULL_ACCESS only. */
export const hasFullAccess = rule('hasFullAccess', { cache: 'contextual' })(
  (_parent, _args, ctx: Partial<RequestContext>) =>
    ctx.permission === TokenPermission.FULL_ACCESS ||
    new ForbiddenError(READ_ONLY_MUTATION_MESSAGE),
);

/** Security data on object fields: FULL_ACCESS only; a READ_ONLY token gets null and an error there. */
export const canReadSecurityData = rule('canReadSecurityData', { cache: 'contextual' })(
  (_parent, _args, ctx: Partial<RequestContext>) =>
    ctx.permission === TokenPermission.FULL_ACCESS || new ForbiddenError(READ_ONLY_FIELD_MESSAGE),
);
