import { Arg, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context';
import { Monitor } from './monitor.entity';
import type { MonitorUptimeService } from './monitor-uptime.service';
import { MonitorUptime } from './monitor-uptime.types';

/** Monitor.uptime: its own resolver, as its service needs the clock. */
@Resolver(() => Monitor)
export class MonitorUptimeResolver {
  constructor(private readonly service: MonitorUptimeService) {}

  @FieldResolver(() => MonitorUptime, {
    description:
      'Time in each status from since (at the earliest the creation) to until (now when omitted, at the latest now), from the status history; pausing changes nothing. A window empty after that is BAD_USER_INPUT.',
  })
  uptime(
    @Root() monitor: Monitor,
    @Arg('since', () => Date) since: Date,
    @Arg('until', () => Date, { nullable: true }) until: Date | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<MonitorUptime> {
    return this.service.uptime(ctx, monitor, since, until);
  }
}
