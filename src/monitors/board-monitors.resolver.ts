import { Arg, Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Board } from '../boards/board.entity';
import type { RequestContext } from '../core/context';
import type { Page } from '../db/pagination';
import { PageArgsType } from '../graphql/page-args';
import type { Monitor } from './monitor.entity';
import { MonitorConnection, MonitorFilter } from './monitor.inputs';
import type { MonitorService } from './monitor.service';

/** Board.monitors: here, not in boards/, because boards/ stands below monitors/. */
@Resolver(() => Board)
export class BoardMonitorsResolver {
  constructor(private readonly service: MonitorService) {}

  @FieldResolver(() => MonitorConnection, { description: 'The board’s monitors, oldest first.' })
  monitors(
    @Root() board: Board,
    @Arg('filter', () => MonitorFilter, { nullable: true }) filter: MonitorFilter | undefined,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Monitor>> {
    return this.service.ofBoard(ctx, board.id, filter, page);
  }
}
