import { Field, Int, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';
import { MonitorStatus, MonitorType } from './monitor-enums';

@ObjectType({ description: 'One HTTP header sent with each check of a WEBSITE monitor.' })
export class HttpHeader {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

/** A monitor on a board: a website, service, host or custom check, with its current status. */
@ObjectType({
  description: 'Something watched: a website, a cloud service, a host, or a custom check.',
})
@Entity('monitor')
@Index(['organizationId', 'createdAt', 'id'])
@Index(['organizationId', 'boardId', 'createdAt', 'id'])
@Index(['organizationId', 'status', 'createdAt', 'id'])
@Index(['organizationId', 'monitorType', 'createdAt', 'id'])
export class Monitor {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  organizationId!: string;

  @Column(ID_COLUMN)
  boardId!: string;

  @Field({ description: '1–100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  displayName!: string;

  @Field(() => MonitorType)
  @Column({ type: 'varchar', length: 16 })
  monitorType!: MonitorType;

  @Field(() => MonitorStatus, { description: 'UNKNOWN until the first report.' })
  @Column({ type: 'varchar', length: 16 })
  status!: MonitorStatus;

  @Field({ description: 'A paused monitor is not checked; its status stays as it was.' })
  @Column({ type: 'boolean' })
  paused!: boolean;

  @Field(() => String, { nullable: true, description: 'WEBSITE: the http(s) URL checked.' })
  @Column({ type: 'varchar', length: 2048, nullable: true })
  url!: string | null;

  @Field(() => String, { nullable: true, description: 'PING: the host name or IP address.' })
  @Column({ type: 'varchar', length: 253, nullable: true })
  host!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'SERVICE: the service watched, e.g. "AWS S3".',
  })
  @Column({ type: 'varchar', length: 100, nullable: true })
  serviceName!: string | null;

  @Field(() => Int, { description: 'Minutes between two checks, 1–1440.' })
  @Column({ type: 'integer' })
  checkIntervalMinutes!: number;

  /**
   * Headers as JSON text (the same on both databases); they may hold credentials for the checked
   * endpoint, so the field needs a full-access token.
   */
  @Column({ type: 'text', nullable: true })
  requestHeadersJson!: string | null;

  @Field(() => [HttpHeader], {
    nullable: true,
    description: 'WEBSITE: headers sent with each check. Needs a full-access token to read.',
  })
  get requestHeaders(): HttpHeader[] | null {
    return this.requestHeadersJson === null
      ? null
      : (JSON.parse(this.requestHeadersJson) as HttpHeader[]);
  }

  @Field(() => Date, { nullable: true, description: 'When a status was last reported.' })
  @TimestampColumn({ nullable: true })
  lastCheckedAt!: Date | null;

  @Field(() => Date)
  @TimestampColumn()
  createdAt!: Date;

  @Field(() => Date)
  @TimestampColumn()
  updatedAt!: Date;
}
