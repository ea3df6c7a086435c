import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../core/context';
import { systemClock } from '../core/clock';
import type { Database } from '../db/database';
import { type Page, type PageArgs, paginate } from '../db/pagination';
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

/** Work that commits with every recorded success, in its transaction (tokens' lastWriteAt). */
export type SucceededHook = (manager: EntityManager, actor: Actor, at: Date) => Promise<void>;

/** The audit log: one event per Mutation root field asked for, and its outcome. */
export class AuditLogService {
  private readonly succeededHooks: SucceededHook[] = [];

  /**
   * `targetTypes`: what the features' mutations may target, found in a field's name; `fold`:
   * how DENIED events past the per-minute limit are folded.
   */
  constructor(
    private readonly db: Database,
    readonly targetTypes: readonly string[] = [],
    private readonly fold: DenialFold = new DenialFold(DEFAULT_DENIED_PER_MINUTE, systemClock),
  ) {}

  /** Registers work to run with every success, after its event, in the same transaction. */
  onSucceeded(hook: SucceededHook): void {
    this.succeededHooks.push(hook);
  }

  /**
   * Records the success of the mutation being executed, inside its own transaction: the event
   * commits with the change or not at all. Then runs the `onSucceeded` hooks and the request's
   * `withinChange` work in the same transaction.
   */
  async succeeded(manager: EntityManager, actor: Actor, target: AuditTarget): Promise<void> {
    const at = new Date();
    // Nothing to read back (SQLite would re-select the row's defaults): one statement.
    await manager
      .createQueryBuilder()
      .insert()
      .into(AuditEvent)
      .values(this.event(actor, actor.audit.action, AuditOutcome.SUCCEEDED, target, at))
      .updateEntity(false)
      .execute();
    for (const hook of this.succeededHooks) {
      await hook(manager, actor, at);
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
    return paginate(
      this.db,
      query,
      { list: 'auditEvents', sortBy: 'at', kind: 'timestamp', direction: 'DESC' },
      page,
    );
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
