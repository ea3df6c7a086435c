import { type ValueNode, valueFromASTUntyped } from 'graphql';

/**
 * A mutation's own work in points (statements and the rows they return), before its selection:
 * its transaction (BEGIN, COMMIT), the look-up and lock of its target, the lock-out guard of a
 * token change (a count), the writes, the hooks that touch related rows (a monitor's incidents,
 * a deleted board's scopes, monitors and incidents), the audit event (inserted, never read back),
 * the token's last write, and the Idempotency-Key marked executed in the same transaction.
 * Measured per mutation on SQLite and PostgreSQL, the larger of the two, by
 * test/api/mutation-cost.test.ts, which fails when a mutation runs more than this.
 */
const OWN_WORK: Readonly<Record<string, number>> = {
  createApiToken: 10,
  updateApiToken: 15,
  activateApiToken: 9,
  deactivateApiToken: 12,
  revokeApiToken: 12,
  rotateApiToken: 10,
  createBoard: 6,
  updateBoard: 8,
  deleteBoard: 12,
  createMonitor: 8,
  updateMonitor: 8,
  pauseMonitor: 8,
  resumeMonitor: 8,
  setMonitorStatus: 9,
  deleteMonitor: 9,
  createIncident: 9,
  updateIncident: 10,
  addIncidentUpdate: 9,
  resolveIncident: 9,
  deleteIncident: 8,
};

/** A mutation not measured yet: as much as the most expensive one measured. */
const UNMEASURED = Math.max(...Object.values(OWN_WORK));

/**
 * Rows a mutation reads beyond its own work that its arguments do not bound: deleting a board
 * reads its monitors (to touch their incidents), estimated as a default page of them and counted
 * as read beyond.
 */
const READS_RELATED: Readonly<Record<string, number>> = { deleteBoard: 50 };

/**
 * The points of mutation `name` before its selection: its own work, a row for every id its
 * arguments list (`boardIds`, `monitorIds`: each is looked up), and what it reads of related
 * rows.
 */
export function mutationCost(
  name: string,
  args: readonly { value: ValueNode }[] | undefined,
  variables: Record<string, unknown>,
): number {
  const listed = (args ?? []).reduce(
    (sum, arg) => sum + listedIds(valueFromASTUntyped(arg.value, variables)),
    0,
  );
  return (OWN_WORK[name] ?? UNMEASURED) + listed + (READS_RELATED[name] ?? 0);
}

/** The ids in the lists of an argument value, however deep in its input objects. */
function listedIds(value: unknown): number {
  if (Array.isArray(value)) {
    return value.reduce<number>(
      (sum, item) => sum + (typeof item === 'string' ? 1 : listedIds(item)),
      0,
    );
  }
  if (value !== null && typeof value === 'object') {
    return Object.values(value).reduce<number>((sum, item) => sum + listedIds(item), 0);
  }
  return 0;
}
