import { Field, InputType, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Connection } from '../graphql/connection';
import { IncidentPhase, IncidentSeverity } from './incident-enums';
import { Incident } from './incident.entity';

@InputType({ description: 'A new incident or scheduled maintenance.' })
export class CreateIncidentInput {
  @Field(() => ID)
  boardId!: string;

  @Field({ description: '1–100 characters.' })
  name!: string;

  @Field(() => IncidentSeverity)
  severity!: IncidentSeverity;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  details?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Affected monitors, of this organization.' })
  monitorIds?: string[] | null;

  @Field(() => IncidentPhase, {
    nullable: true,
    description: 'INVESTIGATING when omitted (SCHEDULED for MAINTENANCE); must fit the severity.',
  })
  phase?: IncidentPhase | null;

  @Field(() => Date, { nullable: true, description: 'Now when omitted.' })
  startedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  willStartAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'After willStartAt.' })
  willEndAt?: Date | null;
}

@InputType({
  description:
    'Changes to an incident; omitted fields stay as they are, null clears an optional one.',
})
export class UpdateIncidentInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  details?: string | null;

  @Field(() => IncidentSeverity, { nullable: true })
  severity?: IncidentSeverity | null;

  @Field(() => IncidentPhase, {
    nullable: true,
    description: 'To record a message too, use addIncidentUpdate.',
  })
  phase?: IncidentPhase | null;

  @Field(() => [ID], { nullable: true, description: 'Replaces the affected monitors.' })
  monitorIds?: string[] | null;

  @Field(() => Date, { nullable: true })
  startedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  willStartAt?: Date | null;

  @Field(() => Date, { nullable: true })
  willEndAt?: Date | null;
}

@InputType()
export class IncidentUpdateInput {
  @Field(() => IncidentPhase, { description: 'The incident moves to this phase.' })
  phase!: IncidentPhase;

  @Field({ description: '1–10,000 characters.' })
  message!: string;
}

@InputType({ description: 'Narrows incidents; every given field must match.' })
export class IncidentFilter {
  @Field(() => ID, { nullable: true })
  boardId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Incidents that affect this monitor.' })
  monitorId?: string | null;

  @Field(() => IncidentPhase, { nullable: true })
  phase?: IncidentPhase | null;

  @Field(() => IncidentSeverity, { nullable: true })
  severity?: IncidentSeverity | null;

  @Field(() => Date, { nullable: true, description: 'Started after this time (exclusive).' })
  startedAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Started before this time (exclusive).' })
  startedBefore?: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Changed after this time (exclusive): with orderBy UPDATED_AT_ASC, the start of a sync.',
  })
  updatedAfter?: Date | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'Include deleted incidents (tombstones with deletedAt), so a sync sees deletions.',
  })
  includeDeleted?: boolean;
}

@ObjectType({ description: 'A page of incidents, in the order asked for.' })
export class IncidentConnection extends Connection(Incident) {}
