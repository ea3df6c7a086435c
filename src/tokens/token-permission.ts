import { registerEnumType } from 'type-graphql';

/** What a token may do: FULL_ACCESS reads and changes everything, READ_ONLY only reads. */
export enum TokenPermission {
  FULL_ACCESS = 'FULL_ACCESS',
  READ_ONLY = 'READ_ONLY',
}

registerEnumType(TokenPermission, {
  name: 'TokenPermission',
  description: 'A token’s permission level.',
  valuesConfig: {
    FULL_ACCESS: { description: 'Reads and changes everything in the organization.' },
    READ_ONLY: { description: 'Only retrieves data: every mutation is refused with FORBIDDEN.' },
  },
});

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
