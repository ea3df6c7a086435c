import { Field, Float, ObjectType } from 'type-graphql';

/** A monitor's time in each status over a window (API.md section 12), computed in SQL. */
@ObjectType({
  description:
    'Time a monitor spent in each status between since and until, from its status history.',
})
export class MonitorUptime {
  @Field(() => Date, {
    description: 'The start used: the one asked for, or the creation if later.',
  })
  since!: Date;

  @Field(() => Date, {
    description: 'The end used: the one asked for (now when omitted), at most now.',
  })
  until!: Date;

  @Field(() => Float, {
    nullable: true,
    description: 'upSeconds ÷ (upSeconds + warnSeconds + downSeconds) × 100; null when that is 0.',
  })
  upPercent!: number | null;

  @Field(() => Float)
  upSeconds!: number;

  @Field(() => Float)
  warnSeconds!: number;

  @Field(() => Float)
  downSeconds!: number;

  @Field(() => Float)
  maintenanceSeconds!: number;

  @Field(() => Float, { description: 'Time without a reported status (UNKNOWN).' })
  unknownSeconds!: number;
}
