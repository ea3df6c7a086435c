import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Board } from '../boards/board.entity';
import type { BoardService } from '../boards/board.service';
import type { RequestContext } from '../core/context';
import { PageArgsType } from '../graphql/page-args';
import type { Page } from '../db/pagination';
import { MonitorStatus } from './monitor-enums';
import { Monitor } from './monitor.entity';
import {
  CreateMonitorInput,
  MonitorConnection,
  MonitorFilter,
  StatusEventConnection,
  StatusEventFilter,
  UpdateMonitorInput,
} from './monitor.inputs';
import type { MonitorService } from './monitor.service';
import { StatusEvent } from './status-event.entity';

@Resolver(() => Monitor)
export class MonitorResolver {
  constructor(
    private readonly service: MonitorService,
    private readonly boards: BoardService,
  ) {}

  @Query(() => MonitorConnection, { description: 'Monitors, oldest first.' })
  monitors(
    @Arg('filter', () => MonitorFilter, { nullable: true }) filter: MonitorFilter | undefined,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Monitor>> {
    return this.service.list(ctx, filter, page);
  }

  @Query(() => Monitor, { nullable: true })
  monitor(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Monitor | null> {
    return this.service.get(ctx, id);
  }

  @FieldResolver(() => Board)
  async board(@Root() monitor: Monitor, @Ctx() ctx: RequestContext): Promise<Board | null> {
    return this.boards.load(ctx, monitor.boardId);
  }

  @FieldResolver(() => StatusEventConnection, {
    description: 'This monitor’s status changes, newest first.',
  })
  statusEvents(
    @Root() monitor: Monitor,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<StatusEvent>> {
    return this.service.statusEventsOf(ctx, monitor.id, page);
  }

  @Mutation(() => Monitor)
  createMonitor(
    @Arg('input', () => CreateMonitorInput) input: CreateMonitorInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Monitor> {
    return this.service.create(ctx, input);
  }

  @Mutation(() => Monitor)
  updateMonitor(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateMonitorInput) input: UpdateMonitorInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Monitor> {
    return this.service.update(ctx, id, input);
  }

  @Mutation(() => Monitor, { description: 'Stops checks; the status stays as it was.' })
  pauseMonitor(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Monitor> {
    return this.service.pause(ctx, id);
  }

  @Mutation(() => Monitor)
  resumeMonitor(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Monitor> {
    return this.service.resume(ctx, id);
  }

  @Mutation(() => ID, {
    description: 'Deletes the monitor and its status history; returns its id.',
  })
  deleteMonitor(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<string> {
    return this.service.delete(ctx, id);
  }

  @Mutation(() => Monitor, {
    description: 'Reports a status. A StatusEvent is recorded only when the status changes.',
  })
  setMonitorStatus(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => MonitorStatus) status: MonitorStatus,
    @Arg('message', () => String, { nullable: true }) message: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Monitor> {
    return this.service.setStatus(ctx, id, status, message);
  }
}

@Resolver(() => StatusEvent)
export class StatusEventResolver {
  constructor(private readonly service: MonitorService) {}

  @Query(() => StatusEventConnection, {
    description: 'Status changes of all monitors, newest first.',
  })
  statusEvents(
    @Arg('filter', () => StatusEventFilter, { nullable: true })
    filter: StatusEventFilter | undefined,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<StatusEvent>> {
    return this.service.statusEvents(ctx, filter, page);
  }

  @FieldResolver(() => Monitor)
  async monitor(@Root() event: StatusEvent, @Ctx() ctx: RequestContext): Promise<Monitor | null> {
    return this.service.load(ctx, event.monitorId);
  }
}
