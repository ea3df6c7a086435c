import { Field, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';
import { MonitorStatus } from './monitor-enums';

/** A change of a monitor's status; recorded only when the status really changes. */
@ObjectType({ description: 'A change of a monitor’s status.' })
@Entity('status_event')
@Index(['organizationId', 'recordedAt', 'id'])
@Index(['monitorId', 'recordedAt', 'id'])
export class StatusEvent {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  organizationId!: string;

  @Column(ID_COLUMN)
  monitorId!: string;

  @Field(() => MonitorStatus)
  @Column({ type: 'varchar', length: 16 })
  status!: MonitorStatus;

  @Field(() => MonitorStatus, { description: 'UNKNOWN for the first report.' })
  @Column({ type: 'varchar', length: 16 })
  previousStatus!: MonitorStatus;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @Column({ type: 'text', nullable: true })
  message!: string | null;

  @Field(() => Date)
  @TimestampColumn()
  recordedAt!: Date;
}
