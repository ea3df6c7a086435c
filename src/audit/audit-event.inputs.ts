import { Field, InputType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { AuditOutcome } from './audit-event.entity';

@InputType({ description: 'Narrows auditEvents; every given field must match.' })
export class AuditEventFilter {
  @Field(() => String, {
    nullable: true,
    description: 'A Mutation field’s name, e.g. revokeApiToken.',
  })
  action?: string | null;

  @Field(() => AuditOutcome, { nullable: true })
  outcome?: AuditOutcome | null;

  @Field(() => ID, { nullable: true, description: 'Events of requests made with this token.' })
  tokenId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Events about this object.' })
  targetId?: string | null;
}
