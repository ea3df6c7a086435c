import { type FindOperator, In, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import type { Actor } from '../core/context';

type Scoped = Pick<Actor, 'boardScope'>;

/**
 * The one place a board-scoped token's limit (API.md section 11) becomes SQL. Every service query
 * that reads or changes something hanging off a board goes through one of these, beside its
 * organization condition, so that no resolver can forget it: what lies outside the scope is then
 * exactly like another organization's data (absent, null, NOT_FOUND).
 */

/**
 * Keeps the rows of `query` whose board (the SQL expression `boardColumn`, e.g. `m.boardId`) is
 * in the actor's scope; an organization-wide actor keeps them all, an empty scope none.
 */
export function inBoardScope<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  actor: Scoped,
  boardColumn: string,
): SelectQueryBuilder<T> {
  if (actor.boardScope === null) {
    return query;
  }
  if (actor.boardScope.length === 0) {
    return query.andWhere('1 = 0');
  }
  return query.andWhere(`${boardColumn} IN (:...scopeBoardIds)`, {
    scopeBoardIds: [...actor.boardScope],
  });
}

/**
 * The same condition as find options: spread it into a `where` (`{ id, organizationId,
 * ...boardScopeWhere(actor, 'boardId') }`). An empty scope matches nothing (TypeORM's `In([])`
 * is `0=1`).
 */
export function boardScopeWhere<K extends string>(
  actor: Scoped,
  key: K,
): Partial<Record<K, FindOperator<string>>> {
  if (actor.boardScope === null) {
    return {};
  }
  return { [key]: In([...actor.boardScope]) } as Partial<Record<K, FindOperator<string>>>;
}

/** Whether one board id is in the actor's scope (for ids already in hand). */
export function isBoardInScope(actor: Scoped, boardId: string): boolean {
  return actor.boardScope === null || actor.boardScope.includes(boardId);
}

/**
 * A condition on a board's own id: the id itself when it is in the actor's scope, or one that
 * matches no row, so that a board outside the scope is found exactly like an unknown id.
 */
export function boardIdInScope(actor: Scoped, boardId: string): string | FindOperator<string> {
  return isBoardInScope(actor, boardId) ? boardId : In([]);
}
