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
