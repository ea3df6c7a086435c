import type { EntityManager } from 'typeorm';

/**
 * The audit bookkeeping of one request. Mutation root fields run one after another, so the field
 * being executed is known to whoever records its success, and the response plugin knows which
 * root fields still need a DENIED or FAILED event.
 */
export class AuditScope {
  private current: { action: string; responseKey: string } | null = null;
  private readonly succeeded = new Set<string>();

  /**
   * Work that must commit with every change of this request: `AuditLogService.succeeded` runs it
   * inside each change's own transaction, so it commits with the change or not at all, and if it
   * throws, the change rolls back. The idempotency plugin marks its key EXECUTED here.
   */
  withinChange?: (manager: EntityManager) => Promise<void>;

  /** Called as a Mutation root field (or a CLI command) starts. */
  enter(action: string, responseKey: string = action): void {
    this.current = { action, responseKey };
  }

  get action(): string {
    if (this.current === null) {
      throw new Error('A change was recorded outside of a mutation; call AuditScope.enter first.');
    }
    return this.current.action;
  }

  markSucceeded(): void {
    if (this.current !== null) {
      this.succeeded.add(this.current.responseKey);
    }
  }

  hasSucceeded(responseKey: string): boolean {
    return this.succeeded.has(responseKey);
  }
}
