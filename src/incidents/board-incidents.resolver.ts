import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import { Board } from '../boards/board.entity';
import type { RequestContext } from '../core/context';
import type { Page } from '../db/pagination';
import { PageArgsType } from '../graphql/page-args';
import { IncidentOrder } from './incident-enums';
import { type IncidentRow, incidentReadingOf } from './incident-row';
import { IncidentConnection, IncidentFilter } from './incident.inputs';
import type { IncidentService } from './incident.service';

/** Board.incidents: here, not in boards/, because boards/ stands below incidents/. */
@Resolver(() => Board)
export class BoardIncidentsResolver {
  constructor(private readonly service: IncidentService) {}

  @FieldResolver(() => IncidentConnection, {
    description: 'The board’s incidents, newest first by default.',
  })
  incidents(
    @Root() board: Board,
    @Arg('filter', () => IncidentFilter, { nullable: true }) filter: IncidentFilter | undefined,
    @Arg('orderBy', () => IncidentOrder, { defaultValue: IncidentOrder.STARTED_AT_DESC })
    orderBy: IncidentOrder,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Page<IncidentRow>> {
    return this.service.ofBoard(ctx, board.id, filter, orderBy, page, incidentReadingOf(info));
  }
}
