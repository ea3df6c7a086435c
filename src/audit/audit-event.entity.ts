import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';

export enum AuditOutcome {
  SUCCEEDED = 'SUCCEEDED',
  DENIED = 'DENIED',
  FAILED = 'FAILED',
}

registerEnumType(AuditOutcome, {
  name: 'AuditOutcome',
  valuesConfig: {
    SUCCEEDED: { description: 'The change was made (recorded in the same transaction).' },
    DENIED: { description: 'The token’s permission level did not allow the mutation.' },
    FAILED: {
      description: 'The mutation was allowed but did not change anything (e.g. bad input).',
    },
  },
});

/** The token as it was when the event happened (names and tokens may change later). */
@ObjectType('AuditTokenRef', { description: 'The token that made the request, as it was then.' })
export class AuditTokenRef {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  prefix!: string;
}

/** One Mutation root field that an authenticated request (or the CLI) asked for. */
@ObjectType({
  description: 'One mutation asked for, with its outcome. Newest first in auditEvents.',
})
@Entity('audit_event')
@Index(['organizationId', 'at', 'id'])
export class AuditEvent {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  organizationId!: string;

  @Field(() => Date)
  @TimestampColumn()
  at!: Date;

  @Field({
    description: 'The Mutation field’s name, e.g. createApiToken; cli.<command> for the CLI.',
  })
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Field(() => AuditOutcome)
  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ type: 'varchar', length: 36, nullable: true })
  tokenId!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  tokenName!: string | null;

  @Column({ type: 'varchar', length: 12, nullable: true })
  tokenPrefix!: string | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  targetId!: string | null;

  @Field(() => String, { nullable: true, description: 'Needs a full-access token to read.' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Field(() => Int, {
    description:
      'How many attempts this event stands for: 1, or more for denials folded together once a ' +
      'token passed AUDIT_DENIED_PER_MINUTE in a minute (their targets are not kept).',
  })
  @Column({ type: 'integer', default: 1 })
  count!: number;

  @Field(() => AuditTokenRef, { nullable: true, description: 'Null for actions of the CLI.' })
  get token(): AuditTokenRef | null {
    if (this.tokenId === null) {
      return null;
    }
    return { id: this.tokenId, name: this.tokenName ?? '', prefix: this.tokenPrefix ?? '' };
  }
}
