import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Board } from '../boards/board.entity';
import type { BoardService } from '../boards/board.service';
import type { RequestContext } from '../core/context';
import { JoinedFrom } from '../graphql/joined-field';
import { PageArgsType } from '../graphql/page-args';
import type { Page } from '../db/pagination';
import { Monitor } from '../monitors/monitor.entity';
import { IncidentOrder } from './incident-enums';
import { Incident } from './incident.entity';
import { type IncidentKeys, type IncidentRow, incidentReadingOf } from './incident-row';
import {
  CreateIncidentInput,
  IncidentConnection,
  IncidentFilter,
  IncidentUpdateInput,
  UpdateIncidentInput,
} from './incident.inputs';
import type { IncidentService } from './incident.service';
import { IncidentUpdate } from './incident-update.entity';

@Resolver(() => Incident)
export class IncidentResolver {
  constructor(
    private readonly service: IncidentService,
    private readonly boards: BoardService,
  ) {}

  @Query(() => IncidentConnection, {
    description:
      'Incidents, newest first unless orderBy says otherwise; deleted ones only with includeDeleted.',
  })
  incidents(
    @Arg('filter', () => IncidentFilter, { nullable: true }) filter: IncidentFilter | undefined,
    @Arg('orderBy', () => IncidentOrder, { defaultValue: IncidentOrder.STARTED_AT_DESC })
    orderBy: IncidentOrder,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Page<IncidentRow>> {
    return this.service.list(ctx, filter, orderBy, page, incidentReadingOf(info));
  }

  @Query(() => Incident, {
    nullable: true,
    description: 'Null for a deleted incident, as for any unknown id.',
  })
  incident(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Incident | null> {
    return this.service.get(ctx, id);
  }

  // A list page brings board and monitors with its rows (read with the page, no promise per row):
  // the schema reads them there, and these resolvers run only for an incident read on its own.
  @FieldResolver(() => Board)
  @JoinedFrom<IncidentRow>('joinedBoard')
  board(@Root() incident: IncidentKeys, @Ctx() ctx: RequestContext): Promise<Board | null> {
    return this.boards.load(ctx, incident.boardId);
  }

  @FieldResolver(() => [Monitor], { description: 'The affected monitors, by displayName.' })
  @JoinedFrom<IncidentRow>('joinedMonitors')
  monitors(@Root() incident: IncidentKeys, @Ctx() ctx: RequestContext): Promise<Monitor[]> {
    return this.service.monitorsOf(ctx, incident.id);
  }

  @FieldResolver(() => [IncidentUpdate], { description: 'Oldest first.' })
  updates(@Root() incident: IncidentKeys, @Ctx() ctx: RequestContext): Promise<IncidentUpdate[]> {
    return this.service.updatesOf(ctx, incident.id);
  }

  @Mutation(() => Incident)
  createIncident(
    @Arg('input', () => CreateIncidentInput) input: CreateIncidentInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Incident> {
    return this.service.create(ctx, input);
  }

  @Mutation(() => Incident)
  updateIncident(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateIncidentInput) input: UpdateIncidentInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Incident> {
    return this.service.update(ctx, id, input);
  }

  @Mutation(() => Incident, { description: 'Adds an update and moves the incident to its phase.' })
  addIncidentUpdate(
    @Arg('incidentId', () => ID) incidentId: string,
    @Arg('input', () => IncidentUpdateInput) input: IncidentUpdateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Incident> {
    return this.service.addUpdate(ctx, incidentId, input);
  }

  @Mutation(() => Incident, {
    description:
      'Closes the incident (RESOLVED; COMPLETED for maintenance), sets resolvedAt and adds an update.',
  })
  resolveIncident(
    @Arg('id', () => ID) id: string,
    @Arg('message', () => String, { nullable: true }) message: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Incident> {
    return this.service.resolve(ctx, id, message);
  }

  @Mutation(() => ID, {
    description: 'Deletes the incident (a tombstone for sync); returns its id.',
  })
  deleteIncident(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<string> {
    return this.service.delete(ctx, id);
  }
}
