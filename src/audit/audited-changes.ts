import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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
        const before = this.values(manager, of.entity, row);
        const now = this.db.now();
        await edit(row, manager, now);
        if (of.stamp !== false) {
          row.updatedAt = now;
        }
        await this.store(manager, of.entity, row, before);
        return row;
      },
      (row) => row.id,
    );
  }

  /**
   * The row's column values by property, to compare after the edit (`store`). Edits assign new
   * values (a Date is replaced, never set in place): a value changed in place would compare equal
   * to itself and not be written.
   */
  private values<E extends ObjectLiteral>(
    manager: EntityManager,
    entity: EntityTarget<E>,
    row: E,
  ): Map<string, unknown> {
    const columns = manager.connection.getMetadata(entity).columns;
    return new Map(
      columns
        .filter((column) => !column.isPrimary)
        .map((column) => [column.propertyName, column.getEntityValue(row)]),
    );
  }

  /**
   * Writes the columns the edit changed in one UPDATE (none: no statement). `save` would first
   * read the row again to find them: one more statement inside the write's transaction.
   */
  private async store<E extends ObjectLiteral & { id: string }>(
    manager: EntityManager,
    entity: EntityTarget<E>,
    row: E,
    before: Map<string, unknown>,
  ): Promise<void> {
    const changed = [...this.values(manager, entity, row)].filter(
      ([property, value]) => !sameValue(before.get(property), value),
    );
    if (changed.length === 0) {
      return;
    }
    await manager
      .createQueryBuilder()
      .update(entity)
      .set(Object.fromEntries(changed) as QueryDeepPartialEntity<E>)
      .where('id = :id', { id: row.id })
      .updateEntity(false)
      .execute();
  }

  /**
   * The row, locked until the transaction ends (PostgreSQL): for an update, or `shared` (kept
   * from changes by others, held by any number of transactions); NOT_FOUND when there is none.
   */
  async lock<E extends ObjectLiteral>(
    manager: EntityManager,
    of: ChangeOf<E>,
    shared = false,
  ): Promise<E> {
    await of.before?.(manager);
    const lock = shared ? this.db.forShare : this.db.forUpdate;
    const row = await manager.findOne(of.entity, { where: of.where, ...lock });
    if (!row) {
      throw new NotFoundError(of.type);
    }
    return row;
  }
}

/** Equal column values: Dates by their instant, anything else by identity. */
function sameValue(a: unknown, b: unknown): boolean {
  return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : Object.is(a, b);
}
