import { Arg, Args, Ctx, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context';
import { Connection } from '../graphql/connection';
import { PageArgsType } from '../graphql/page-args';
import type { Page } from '../db/pagination';
import { AuditEvent } from './audit-event.entity';
import { AuditEventFilter } from './audit-event.inputs';
import type { AuditLogService } from './audit-log.service';

@ObjectType({ description: 'A page of audit events, newest first (by at, then id).' })
export class AuditEventConnection extends Connection(AuditEvent) {}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  constructor(private readonly service: AuditLogService) {}

  @Query(() => AuditEventConnection, {
    description: 'What was changed or attempted, newest first.',
  })
  auditEvents(
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | undefined,
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<AuditEvent>> {
    return this.service.list(ctx, filter, page);
  }
}
