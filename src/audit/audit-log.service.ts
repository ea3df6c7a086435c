import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../core/context';
import type { Database } from '../db/database';
import { type Page, type PageArgs, paginate } from '../db/pagination';
import { ApiToken } from '../tokens/api-token.entity';
import { AuditEvent, AuditOutcome } from './audit-event.entity';
import { checkNoNul } from '../core/validation';
import type { AuditEventFilter } from './audit-event.inputs';
import { DEFAULT_DENIED_PER_MINUTE, DenialFold, foldDenials } from './denial-fold';

export interface AuditTarget {
  type: string;
  id: string;
}

/** A root field that ended without a change, as the response plugin found it. */
export interface AuditRefusal {
  action: string;
  outcome: AuditOutcome.DENIED | AuditOutcome.FAILED;
  target: Partial<AuditTarget>;
}

/** The audit log: one event per Mutation root field asked for, and its outcome. */
export class AuditLogService {
  constructor(
    private readonly db: Database,
    private readonly fold: DenialFold = new DenialFold(DEFAULT_DENIED_PER_MINUTE, () => new Date()),
  ) {}

  /**
   * Records the success of the mutation being executed, inside its own transaction: the event
   * commits with the change or not at all. Also moves the token's `lastWriteAt`, and runs the
   * request's `withinChange` work in the same transaction.
   */
  async succeeded(manager: EntityManager, actor: Actor, target: AuditTarget): Promise<void> {
    const at = new Date();
    await manager.insert(
      AuditEvent,
      this.event(actor, actor.audit.action, AuditOutcome.SUCCEEDED, target, at),
    );
    if (actor.token !== null) {
      await manager.update(ApiToken, { id: actor.token.id }, { lastWriteAt: at });
    }
    await actor.audit.withinChange?.(manager);
    actor.audit.markSucceeded();
  }

  /** Records denied and failed root fields before the response is sent. */
  async refused(actor: Actor, refusals: AuditRefusal[]): Promise<void> {
    if (refusals.length === 0) {
      return;
    }
    const at = new Date();
    const { single, folded } = foldDenials(this.fold, actor, refusals);
    const events = single.map((r) => this.event(actor, r.action, r.outcome, r.target, at));
    await this.db.write(async (manager) => {
      await manager.insert(AuditEvent, events);
      for (const { id, action, type, count } of folded) {
        const event = Object.assign(this.event(actor, action, AuditOutcome.DENIED, { type }, at), {
          id,
          count: 0,
        });
        // Insert-or-keep, then add: safe when requests (or instances) of one minute race.
        await manager
          .createQueryBuilder()
          .insert()
          .into(AuditEvent)
          .values(event)
          .orIgnore()
          .execute();
        await manager.increment(AuditEvent, { id }, 'count', count);
      }
    });
  }

  /** Newest first, by `(at, id)`. */
  list(
    actor: Actor,
    filter: AuditEventFilter | undefined,
    page: PageArgs,
  ): Promise<Page<AuditEvent>> {
    const query = this.db.reader
      .createQueryBuilder(AuditEvent, 'e')
      .where('e.organizationId = :org', { org: actor.organization.id });
    if (filter?.action != null) {
      checkNoNul(filter.action, 'filter.action');
      query.andWhere('e.action = :action', { action: filter.action });
    }
    if (filter?.outcome != null) {
      query.andWhere('e.outcome = :outcome', { outcome: filter.outcome });
    }
    if (filter?.tokenId != null) {
      query.andWhere('e.tokenId = :tokenId', { tokenId: filter.tokenId });
    }
    if (filter?.targetId != null) {
      query.andWhere('e.targetId = :targetId', { targetId: filter.targetId });
    }
    return paginate(this.db, query, { sortBy: 'at', kind: 'timestamp', direction: 'DESC' }, page);
  }

  private event(
    actor: Actor,
    action: string,
    outcome: AuditOutcome,
    target: Partial<AuditTarget>,
    at: Date,
  ): AuditEvent {
    return Object.assign(new AuditEvent(), {
      id: randomUUID(),
      organizationId: actor.organization.id,
      at,
      action,
      outcome,
      tokenId: actor.token?.id ?? null,
      tokenName: actor.token?.name ?? null,
      tokenPrefix: actor.token?.prefix ?? null,
      targetType: target.type ?? null,
      targetId: target.id?.slice(0, 64) ?? null,
      ip: actor.request.ip,
      count: 1,
    });
  }
}
