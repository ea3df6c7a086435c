import { registerEnumType } from 'type-graphql';

// The permission enum sits in core/ because the request context, the rules and the audit log
// share it; tokens/ re-exports it for the code that thinks of it as a token's.
export { TokenPermission } from '../core/permission';

/** Where a token stands now; when several apply, the first of REVOKED, EXPIRED, INACTIVE wins. */
export enum ApiTokenStatus {
  ACTIVE = 'ACTIVE',
  INACTIVE = 'INACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}

registerEnumType(ApiTokenStatus, {
  name: 'ApiTokenStatus',
  description: 'Whether a token works now. Only ACTIVE tokens authenticate.',
  valuesConfig: {
    ACTIVE: { description: 'Authenticates requests.' },
    INACTIVE: {
      description: 'Switched off with deactivateApiToken; activateApiToken switches it on.',
    },
    EXPIRED: { description: 'Past its expiresAt; updateApiToken can extend it.' },
    REVOKED: { description: 'Permanently revoked.' },
  },
});
