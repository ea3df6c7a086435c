import { Field, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';
import { IncidentPhase } from './incident-enums';

/** One step in an incident's story: a phase and a message. */
// simpleResolvers: as Incident, plain fields read by graphql-js's own resolver.
@ObjectType({ description: 'A step in an incident’s story.', simpleResolvers: true })
@Entity('incident_update')
@Index(['incidentId', 'createdAt', 'id'])
export class IncidentUpdate {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  incidentId!: string;

  @Field(() => IncidentPhase)
  @Column({ type: 'varchar', length: 16 })
  phase!: IncidentPhase;

  @Field({ description: 'At most 10,000 characters.' })
  @Column({ type: 'text' })
  message!: string;

  @Field(() => Date)
  @TimestampColumn()
  createdAt!: Date;
}
