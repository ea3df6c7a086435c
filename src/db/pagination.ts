import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { UserInputError } from '../core/errors';
import { identifier, sqliteJsonRows } from './json-rows';
import type { Database } from './database';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** The order of a list: a sort column and the id as tie-breaker, both in one direction. */
export interface KeysetOrder<T> {
  /** The list's name in the API (`incidents`): a cursor belongs to its list as to its order. */
  list: string;
  /** Property of the entity that sorts the list, e.g. `createdAt`. */
  sortBy: keyof T & string;
  /** How the sort value travels in a cursor. */
  kind: 'timestamp' | 'string';
  direction: 'ASC' | 'DESC';
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** What a connection field returns; `edges` and `totalCount` are computed only when asked for. */
export interface Page<T> {
  nodes: T[];
  readonly edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  readonly totalCount: Promise<number>;
}

// A cursor names the list and order it belongs to, so one from another list or order is refused,
// not misread (the boards' and the monitors' both sort by createdAt).
const orderTag = (order: KeysetOrder<never>) => `${order.list}.${order.sortBy}:${order.direction}`;

const encode = (value: string, id: string, tag: string) =>
  Buffer.from(JSON.stringify([value, id, tag])).toString('base64url');

function decode(cursor: string, order: KeysetOrder<never>): [string, string] {
  const malformed = () =>
    new UserInputError(
      'after must be an endCursor or edge cursor returned by this list in the same order; start again without after.',
      'after',
    );
  // Node's decoder skips what is not of base64url's alphabet: only the form `encode` writes is a
  // cursor, not one with spaces, padding or stray characters that decodes to the same bytes.
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.toString('base64url') !== cursor) {
    throw malformed();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw malformed();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    !isCursorValue(parsed[0], order.kind) ||
    !isCursorId(parsed[1]) ||
    parsed[2] !== orderTag(order)
  ) {
    throw malformed();
  }
  return [parsed[0], parsed[1]];
}

// Ids are UUIDs (36 characters): a cursor's id need only be a string a database can compare.
const CURSOR_ID = /^[\x20-\x7e]{1,36}$/;
const CURSOR_STRING_MAX = 10_000;
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function isCursorId(id: unknown): id is string {
  return typeof id === 'string' && CURSOR_ID.test(id);
}

/**
 * A cursor's sort value exactly as `encode` writes it: for a timestamp, the canonical ISO form of
 * an instant the DateTime range allows; for a string, text any database can compare (no NUL).
 * Anything else would reach the database as a value it cannot hold (PostgreSQL: an error).
 */
function isCursorValue(value: unknown, kind: KeysetOrder<never>['kind']): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  if (kind === 'string') {
    return value.length <= CURSOR_STRING_MAX && !value.includes('\u0000');
  }
  const time = Date.parse(value);
  return (
    time >= EARLIEST &&
    time <= LATEST &&
    !Number.isNaN(time) &&
    new Date(time).toISOString() === value
  );
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new UserInputError(`first must be from 0 to ${MAX_PAGE_SIZE}.`, 'first');
  }
  return size;
}

function sortValue<T>(node: T, order: KeysetOrder<T>): string {
  const value: unknown = node[order.sortBy];
  return value instanceof Date ? value.toISOString() : String(value);
}

/**
 * One keyset page of `query` (already filtered, organization included): rows after the cursor's
 * `(sort value, id)`, so a page costs the same at any depth and ties never skip or repeat a row.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  db: Database,
  query: SelectQueryBuilder<T>,
  order: KeysetOrder<T>,
  args: PageArgs,
): Promise<Page<T>> {
  const { size, counter } = keysetPage(db, query, order, args);
  return pageOf(await query.getMany(), size, order, () => counter.getCount());
}

/**
 * `paginate` for large lists: the columns of `selection` (`[property path, result name]`) read
 * raw and turned into nodes by `toNode`, without entity hydration, which costs about as much
 * per row as the database itself. The nodes' keys must be the entity's property names.
 */
export async function paginateRaw<T extends ObjectLiteral, Raw, R extends { id: string }>(
  db: Database,
  query: SelectQueryBuilder<T>,
  order: KeysetOrder<R>,
  args: PageArgs,
  selection: readonly [string, string][],
  toNode: (raw: Raw) => R,
): Promise<Page<R>> {
  const { size, counter } = keysetPage(db, query, order, args);
  query.select([]);
  for (const [path, name] of selection) {
    query.addSelect(path, name);
  }
  const raws: Raw[] = db.isSqlite
    ? await sqliteRowsAsJson(query, selection, order)
    : await query.getRawMany();
  return pageOf(raws.map(toNode), size, order, () => counter.getCount());
}

/** `query.getRawMany()` on SQLite, the page as one JSON text (`sqliteJsonRows`), in its order. */
function sqliteRowsAsJson<T extends ObjectLiteral, Raw>(
  query: SelectQueryBuilder<T>,
  selection: readonly [string, string][],
  order: KeysetOrder<never>,
): Promise<Raw[]> {
  const columns = selection.map(([, name]) => name);
  if (!columns.includes(order.sortBy) || !columns.includes('id')) {
    throw new Error('A raw page must select its sort key and its id (its cursors need them).');
  }
  const [sql, parameters] = query.getQueryAndParameters();
  const direction = order.direction === 'ASC' ? 'ASC' : 'DESC';
  const orderBy = `${identifier(order.sortBy)} ${direction}, "id" ${direction}`;
  return sqliteJsonRows<Raw>(query.connection, sql, parameters, columns, orderBy);
}

/** Adds the cursor's condition, the order and the limit of one page (`size + 1` rows) to `query`. */
function keysetPage<T extends ObjectLiteral>(
  db: Database,
  query: SelectQueryBuilder<T>,
  order: Omit<KeysetOrder<never>, 'sortBy'> & { sortBy: string },
  args: PageArgs,
): { size: number; counter: SelectQueryBuilder<T> } {
  const size = pageSize(args.first);
  const counter = query.clone();
  const alias = query.alias;
  const column = `${alias}.${order.sortBy}`;
  afterCursor(db, query, order, args.after);
  query
    .orderBy(column, order.direction)
    .addOrderBy(`${alias}.id`, order.direction)
    .limit(size + 1);
  return { size, counter };
}

/**
 * A cursor as part of a batch's key: fields that ask with different cursors (an empty one
 * included, which is refused, not read as none) never share a batch.
 */
export const afterKey = (after: string | null | undefined): string => JSON.stringify(after ?? null);

/** Adds the condition of rows after the cursor `after` (none without one) to `query`. */
export function afterCursor<T extends ObjectLiteral>(
  db: Database,
  query: SelectQueryBuilder<T>,
  order: Omit<KeysetOrder<never>, 'sortBy'> & { sortBy: string },
  after: string | null | undefined,
): void {
  // Only null or left out is no cursor: an empty one is malformed (decode refuses it).
  if (after === null || after === undefined) {
    return;
  }
  const alias = query.alias;
  const [value, id] = decode(after, order as KeysetOrder<never>);
  const comparison = order.direction === 'ASC' ? '>' : '<';
  query.andWhere(`(${alias}.${order.sortBy}, ${alias}.id) ${comparison} (:afterValue, :afterId)`, {
    afterValue: order.kind === 'timestamp' ? db.timestamp(new Date(value)) : value,
    afterId: id,
  });
}

/**
 * The page for `rows` fetched as `size + 1` rows in `order` (the extra row only tells that
 * another page follows); `count` runs when a client asks for totalCount.
 */
export function pageOf<T extends { id: string }>(
  rows: T[],
  size: number,
  order: KeysetOrder<T>,
  count: () => Promise<number>,
): Page<T> {
  const nodes = rows.slice(0, size);
  const last = nodes.at(-1);
  const tag = orderTag(order as KeysetOrder<never>);
  const cursorOf = (node: T) => encode(sortValue(node, order), node.id, tag);
  return {
    nodes,
    get edges() {
      return nodes.map((node) => ({ cursor: cursorOf(node), node }));
    },
    pageInfo: { hasNextPage: rows.length > size, endCursor: last ? cursorOf(last) : null },
    get totalCount() {
      return count();
    },
  };
}
