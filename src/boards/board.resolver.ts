import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import type { RequestContext } from '../core/context';
import { PageArgsType } from '../graphql/page-args';
import type { Page } from '../db/pagination';
import { Board } from './board.entity';
import { BoardConnection, CreateBoardInput, UpdateBoardInput } from './board.inputs';
import type { BoardService } from './board.service';
import { IncidentOrder } from '../incidents/incident-enums';
import type { IncidentRow } from '../incidents/incident-row';
import { IncidentConnection, IncidentFilter } from '../incidents/incident.inputs';
import type { IncidentService } from '../incidents/incident.service';
import type { Monitor } from '../monitors/monitor.entity';
import { MonitorConnection, MonitorFilter } from '../monitors/monitor.inputs';
import type { MonitorService } from '../monitors/monitor.service';

@Resolver(() => Board)
export class BoardResolver {
  constructor(
    private readonly service: BoardService,
    private readonly monitorService: MonitorService,
    private readonly incidentService: IncidentService,
  ) {}

  @Query(() => BoardConnection, { description: 'Boards, oldest first.' })
  boards(
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Board>> {
    return this.service.list(ctx, page);
  }

  @Query(() => Board, {
    nullable: true,
    description: 'Null for an id that is not one of this organization’s boards.',
  })
  board(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Board | null> {
    return this.service.get(ctx, id);
  }

  @FieldResolver(() => MonitorConnection, { description: 'The board’s monitors, oldest first.' })
  monitors(
    @Root() board: Board,
    @Arg('filter', () => MonitorFilter, { nullable: true }) filter: MonitorFilter | undefined,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Monitor>> {
    return this.monitorService.ofBoard(ctx, board.id, filter, page);
  }

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
  ): Promise<Page<IncidentRow>> {
    return this.incidentService.ofBoard(ctx, board.id, filter, orderBy, page);
  }

  @Mutation(() => Board)
  createBoard(
    @Arg('input', () => CreateBoardInput) input: CreateBoardInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Board> {
    return this.service.create(ctx, input);
  }

  @Mutation(() => Board)
  updateBoard(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateBoardInput) input: UpdateBoardInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Board> {
    return this.service.update(ctx, id, input);
  }

  @Mutation(() => ID, { description: 'Deletes the board and returns its id.' })
  deleteBoard(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<string> {
    return this.service.delete(ctx, id);
  }
}
