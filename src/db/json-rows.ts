import type { DataSource } from 'typeorm';
import { chargeRowsRead } from './cost-meter';

/**
 * The rows of a SQLite statement (`sql` with the driver's own placeholders, whose result columns
 * include `columns`) as `DataSource.query` returns them, built by SQLite itself as one JSON array
 * and parsed at once. node-sqlite3 makes each value of each row a property of its own on the event
 * loop: for a page of 1000 rows that was more CPU than the rest of the request, every other
 * request waiting behind it. SQLite writes the JSON on the driver's worker thread, and
 * `JSON.parse` builds the same objects (text, numbers and nulls, as the driver gives them)
 * several times faster. `orderBy` (result columns) orders the array: an aggregate keeps no order
 * of its own. The rows are charged as read, as the driver's would have been.
 */
export async function sqliteJsonRows<T>(
  source: DataSource,
  sql: string,
  parameters: readonly unknown[],
  columns: readonly string[],
  orderBy?: string,
): Promise<T[]> {
  const object = `json_object(${columns.map((name) => `${literal(name)}, ${identifier(name)}`).join(', ')})`;
  const order = orderBy ? ` ORDER BY ${orderBy}` : '';
  const [row] = (await source.query(
    `SELECT '[' || group_concat(${object}, ','${order}) || ']' AS "rows" FROM (${sql})`,
    [...parameters],
  )) as { rows: string | null }[];
  const rows = row?.rows ? (JSON.parse(row.rows) as T[]) : [];
  // One row came back; the statement read `rows.length`.
  chargeRowsRead(Math.max(0, rows.length - 1));
  return rows;
}

/** A result column's name in SQL. */
export function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
