import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import type { Actor } from '../core/context';
import { NotFoundError } from '../core/errors';
import type { Database } from '../db/database';
import type { AuditLogService } from './audit-log.service';

/** The row a change is about: its type (the audit target and NOT_FOUND's name) and how to find it. */
export interface ChangeOf<E extends ObjectLiteral> {
  type: string;
  entity: EntityTarget<E>;
  where: FindOptionsWhere<E>;
  /** Runs before the row is read (tokens/ locks their organization first). */
  before?: (manager: EntityManager) => Promise<void>;
  /** Whether the change moves the row's `updatedAt` (default: yes). */
  stamp?: boolean;
}

/**
 * The one way a mutation changes data: a write transaction, the row locked before its timestamp
 * is taken, NOT_FOUND when it is not the actor's, and the SUCCEEDED event recorded in the same
 * transaction (with the `onSucceeded` hooks and the request's idempotency marker), so the change,
 * its audit event and its idempotency key commit together or not at all. Services never call
 * `AuditLogService.succeeded` themselves, so none can forget it.
 */
export class AuditedChanges {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLogService,
  ) {}

  /** Runs `work` in a write transaction and records the success on the row `idOf` names. */
  record<T>(
    actor: Actor,
    type: string,
    work: (manager: EntityManager) => Promise<T>,
    idOf: (result: T) => string,
  ): Promise<T> {
    return this.db.write(async (manager) => {
      const result = await work(manager);
      await this.audit.succeeded(manager, actor, { type, id: idOf(result) });
      return result;
    });
  }

  /** Locks the row, edits it at a timestamp taken after the lock, stamps, saves and records it. */
  change<E extends ObjectLiteral & { id: string; updatedAt?: Date }>(
    actor: Actor,
    of: ChangeOf<E>,
    edit: (row: E, manager: EntityManager, now: Date) => Promise<void>,
  ): Promise<E> {
    return this.record(
      actor,
      of.type,
      async (manager) => {
        const row = await this.lock(manager, of);
        const now = this.db.now();
        await edit(row, manager, now);
        if (of.stamp !== false) {
          row.updatedAt = now;
        }
        await manager.save(of.entity, row);
        return row;
      },
      (row) => row.id,
    );
  }

  /** The row, locked until the transaction ends (PostgreSQL); NOT_FOUND when there is none. */
  async lock<E extends ObjectLiteral>(manager: EntityManager, of: ChangeOf<E>): Promise<E> {
    await of.before?.(manager);
    const row = await manager.findOne(of.entity, { where: of.where, ...this.db.forUpdate });
    if (!row) {
      throw new NotFoundError(of.type);
    }
    return row;
  }
}
