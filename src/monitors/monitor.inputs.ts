import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Connection } from '../graphql/connection';
import { MonitorStatus, MonitorType } from './monitor-enums';
import { Monitor } from './monitor.entity';
import { StatusEvent } from './status-event.entity';

@InputType({
  description: 'One HTTP header; the name is a header token, the value has no line breaks.',
})
export class HttpHeaderInput {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

@InputType({
  description:
    'A new monitor. WEBSITE needs url (http or https, no credentials in it: put them in requestHeaders), PING needs host, SERVICE needs serviceName.',
})
export class CreateMonitorInput implements Partial<
  Omit<Monitor, 'requestHeaders' | 'checkIntervalMinutes'>
> {
  @Field(() => ID)
  boardId!: string;

  @Field({ description: '1–100 characters.' })
  displayName!: string;

  @Field(() => MonitorType)
  monitorType!: MonitorType;

  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => String, { nullable: true })
  host?: string | null;

  @Field(() => String, { nullable: true })
  serviceName?: string | null;

  @Field(() => Int, { nullable: true, description: '1–1440 minutes; 5 when omitted.' })
  checkIntervalMinutes?: number | null;

  @Field(() => [HttpHeaderInput], { nullable: true, description: 'WEBSITE only; at most 20.' })
  requestHeaders?: HttpHeaderInput[] | null;
}

@InputType({
  description:
    'Changes to a monitor; omitted fields stay as they are, null clears an optional one. The type cannot change.',
})
export class UpdateMonitorInput {
  @Field(() => ID, { nullable: true, description: 'Moves the monitor to another board.' })
  boardId?: string | null;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => String, { nullable: true })
  host?: string | null;

  @Field(() => String, { nullable: true })
  serviceName?: string | null;

  @Field(() => Int, { nullable: true })
  checkIntervalMinutes?: number | null;

  @Field(() => [HttpHeaderInput], { nullable: true })
  requestHeaders?: HttpHeaderInput[] | null;
}

@InputType({ description: 'Narrows monitors; every given field must match.' })
export class MonitorFilter {
  @Field(() => ID, { nullable: true })
  boardId?: string | null;

  @Field(() => MonitorType, { nullable: true })
  monitorType?: MonitorType | null;

  @Field(() => MonitorStatus, { nullable: true })
  status?: MonitorStatus | null;
}

@InputType({ description: 'Narrows statusEvents; every given field must match.' })
export class StatusEventFilter {
  @Field(() => ID, { nullable: true })
  monitorId?: string | null;

  @Field(() => MonitorStatus, { nullable: true })
  status?: MonitorStatus | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Only events recorded after this time (exclusive).',
  })
  recordedAfter?: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Only events recorded before this time (exclusive).',
  })
  recordedBefore?: Date | null;
}

@ObjectType({ description: 'A page of monitors, oldest first (by createdAt, then id).' })
export class MonitorConnection extends Connection(Monitor) {}

@ObjectType({ description: 'A page of status events, newest first (by recordedAt, then id).' })
export class StatusEventConnection extends Connection(StatusEvent) {}
