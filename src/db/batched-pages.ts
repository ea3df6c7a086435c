import type { EntityMetadata, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DriverUtils } from 'typeorm/driver/DriverUtils';
import type { Database } from './database';
import { type KeysetOrder, type PageArgs, afterCursor, pageSize } from './pagination';

/** How a batched list reads its rows: whole entities, or chosen columns turned into nodes. */
export type RowReader<R> =
  { entity: true } | { selection: readonly [string, string][]; toNode: (raw: never) => R };

/**
 * One keyset page of the same list for many parents, in one statement: the rows of `query`
 * (filtered, organization included) under `parentIds`, after the cursor (the same for every
 * parent: a nested field has the same arguments under each), numbered within each parent by
 * `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY key, id)` — SQLite and PostgreSQL alike —
 * and cut at `first + 1` each (the extra row tells that another page follows).
 */
export async function pagesByParent<T extends ObjectLiteral, R extends { id: string }>(
  db: Database,
  query: SelectQueryBuilder<T>,
  parent: keyof T & string,
  parentIds: readonly string[],
  order: KeysetOrder<R>,
  args: PageArgs,
  reader: RowReader<R>,
): Promise<Map<string, R[]>> {
  const size = pageSize(args.first);
  const alias = query.alias;
  const metadata = query.expressionMap.mainAlias?.metadata;
  if (!metadata) {
    throw new Error('pagesByParent needs a query of an entity');
  }
  const databaseName = (property: string) =>
    metadata.findColumnWithPropertyName(property)?.databaseName ?? property;
  const columnOf = (property: string) =>
    `${query.escape(alias)}.${query.escape(databaseName(property))}`;
  query.andWhere(`${alias}.${parent} IN (:...batchParents)`, { batchParents: [...parentIds] });
  afterCursor(db, query, order, args.after);
  if ('selection' in reader) {
    query.select([]);
    for (const [path, name] of reader.selection) {
      query.addSelect(path, name);
    }
    query.addSelect(`${alias}.${parent}`, 'batch_parent');
  }
  const direction = order.direction;
  query.addSelect(
    `ROW_NUMBER() OVER (PARTITION BY ${columnOf(parent)} ORDER BY ${columnOf(order.sortBy)} ${direction}, ${columnOf('id')} ${direction})`,
    'batch_position',
  );
  const [sql, parameters] = query.getQueryAndParameters();
  const raws: Record<string, unknown>[] = await db.reader.query(
    `SELECT * FROM (${sql}) batch_page WHERE batch_position <= ${size + 1} ORDER BY batch_position`,
    parameters,
  );
  const driver = db.readSource.driver;
  const parentKey =
    'selection' in reader
      ? 'batch_parent'
      : DriverUtils.buildAlias(driver, undefined, alias, databaseName(parent));
  const byParent = new Map<string, R[]>();
  for (const raw of raws) {
    const key = String(raw[parentKey]);
    const node =
      'selection' in reader ? reader.toNode(raw as never) : hydrate<R>(db, metadata, alias, raw);
    const list = byParent.get(key);
    if (list) {
      list.push(node);
    } else {
      byParent.set(key, [node]);
    }
  }
  return byParent;
}

/** An entity from the raw columns TypeORM selected for `alias`, hydrated as `getMany` would. */
function hydrate<R>(
  db: Database,
  metadata: EntityMetadata,
  alias: string,
  raw: Record<string, unknown>,
): R {
  const driver = db.readSource.driver;
  const entity = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) {
    const value = raw[DriverUtils.buildAlias(driver, undefined, alias, column.databaseName)];
    entity[column.propertyName] = driver.prepareHydratedValue(value, column);
  }
  return entity as R;
}

/**
 * `totalCount` of the same list for many parents, in one statement: `query` (filtered, without
 * a cursor) counted per parent with GROUP BY; a parent without rows counts 0.
 */
export async function countsByParent<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  parent: keyof T & string,
  parentIds: readonly string[],
): Promise<Map<string, number>> {
  const alias = query.alias;
  const rows: { parent: string; count: string | number }[] = await query
    .andWhere(`${alias}.${parent} IN (:...batchParents)`, { batchParents: [...parentIds] })
    .select(`${alias}.${parent}`, 'parent')
    .addSelect('COUNT(*)', 'count')
    .groupBy(`${alias}.${parent}`)
    .getRawMany();
  return new Map(rows.map((row) => [String(row.parent), Number(row.count)]));
}
