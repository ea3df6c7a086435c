import { Field, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';
import { Organization } from '../organizations/organization.entity';
import { ApiTokenStatus, TokenPermission } from './token-permission';

/** A token unused for writes this long is suggested to become READ_ONLY. */
export const SUGGEST_READ_ONLY_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

/** An API token. Only the SHA-256 hash of its secret is stored; the hash never leaves the server. */
@ObjectType({
  description: 'An API token of the organization. The secret itself is never shown again.',
})
@Entity('api_token')
@Index(['organizationId', 'createdAt', 'id'])
export class ApiToken {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  organizationId!: string;

  /** Loaded with the token by authentication only. */
  @ManyToOne(() => Organization, { nullable: false })
  @JoinColumn({ name: 'organization_id' })
  organization?: Organization;

  @Field({ description: '1–100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Field(() => TokenPermission)
  @Column({ type: 'varchar', length: 16 })
  permission!: TokenPermission;

  @Field({ description: 'The first 12 characters of the secret, to recognise the token by.' })
  @Column({ type: 'varchar', length: 12 })
  prefix!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  secretHash!: string;

  /** The secret before the last rotation, accepted until `previousSecretExpiresAt`. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  @Index()
  previousSecretHash!: string | null;

  @TimestampColumn({ nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Field({ description: 'False after deactivateApiToken; see status for whether it works now.' })
  @Column({ type: 'boolean' })
  active!: boolean;

  @Field(() => Date, { nullable: true })
  @TimestampColumn({ nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date)
  @TimestampColumn()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  @TimestampColumn({ nullable: true })
  revokedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  @TimestampColumn({ nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Needs a full-access token to read.' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  lastUsedIp!: string | null;

  @Field(() => String, { nullable: true, description: 'Needs a full-access token to read.' })
  @Column({ type: 'varchar', length: 512, nullable: true })
  lastUsedUserAgent!: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the last successful mutation made with this token happened.',
  })
  @TimestampColumn({ nullable: true })
  lastWriteAt!: Date | null;

  /**
   * Whether the token is limited to the boards listed in `api_token_board` (API.md section 11);
   * false: organization-wide. `ApiToken.boards` is resolved by boards/, which stands above.
   */
  @Column({ type: 'boolean', default: false })
  boardScoped!: boolean;

  /** The boards of a scoped token, loaded with it by authentication only. */
  scopeBoardIds?: string[];

  /** The status now by the system time (the command line's); the API's reads the services' clock. */
  get status(): ApiTokenStatus {
    return tokenStatus(this, new Date());
  }

  /** The suggestion by the system time (the command line's); the API's reads the services' clock. */
  get suggestedPermission(): TokenPermission {
    return suggestedPermission(this, new Date());
  }
}

type SuggestionFields = Pick<ApiToken, 'permission' | 'createdAt' | 'lastWriteAt'>;

/** READ_ONLY for a FULL_ACCESS token idle for writes 30 days at `now`; else its permission. */
export function suggestedPermission(token: SuggestionFields, now: Date): TokenPermission {
  const cutoff = now.getTime() - SUGGEST_READ_ONLY_AFTER_MS;
  const idleWriter =
    token.permission === TokenPermission.FULL_ACCESS &&
    token.createdAt.getTime() < cutoff &&
    (token.lastWriteAt === null || token.lastWriteAt.getTime() < cutoff);
  return idleWriter ? TokenPermission.READ_ONLY : token.permission;
}

type StatusFields = Pick<ApiToken, 'revokedAt' | 'expiresAt' | 'active'>;

/** The status rule of API.md section 2, shared by authentication and the API. */
export function tokenStatus(token: StatusFields, now: Date): ApiTokenStatus {
  if (token.revokedAt !== null) {
    return ApiTokenStatus.REVOKED;
  }
  if (token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime()) {
    return ApiTokenStatus.EXPIRED;
  }
  return token.active ? ApiTokenStatus.ACTIVE : ApiTokenStatus.INACTIVE;
}
