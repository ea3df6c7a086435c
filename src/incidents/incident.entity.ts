import { Field, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';
import { IncidentPhase, IncidentSeverity } from './incident-enums';

/**
 * An incident or scheduled maintenance on a board; deleted ones stay as tombstones for sync.
 * `simpleResolvers`: plain fields read the property with graphql-js's own resolver, not through
 * type-graphql's middleware runner (there are no field middlewares, and shield wraps what it
 * rules either way), which saves a call and an object per field of a 1000-row page.
 */
@ObjectType({ description: 'An incident or a scheduled maintenance.', simpleResolvers: true })
@Entity('incident')
@Index(['organizationId', 'startedAt', 'id'])
@Index(['organizationId', 'updatedAt', 'id'])
@Index(['organizationId', 'boardId', 'startedAt', 'id'])
export class Incident {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  organizationId!: string;

  @Column(ID_COLUMN)
  boardId!: string;

  @Field({ description: '1–100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @Column({ type: 'text', nullable: true })
  details!: string | null;

  @Field(() => IncidentSeverity)
  @Column({ type: 'varchar', length: 16 })
  severity!: IncidentSeverity;

  @Field(() => IncidentPhase)
  @Column({ type: 'varchar', length: 16 })
  phase!: IncidentPhase;

  @Field(() => Date)
  @TimestampColumn()
  startedAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Set when the phase becomes RESOLVED or COMPLETED.',
  })
  @TimestampColumn({ nullable: true })
  resolvedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Maintenance: when the work is planned to start.',
  })
  @TimestampColumn({ nullable: true })
  willStartAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Maintenance: when the work is planned to end.',
  })
  @TimestampColumn({ nullable: true })
  willEndAt!: Date | null;

  @Field(() => Date)
  @TimestampColumn()
  createdAt!: Date;

  @Field(() => Date, {
    description: 'Moves with every change, updates included (incremental sync).',
  })
  @TimestampColumn()
  updatedAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Set when deleted; only lists with includeDeleted: true show such a tombstone.',
  })
  @TimestampColumn({ nullable: true })
  deletedAt!: Date | null;
}
