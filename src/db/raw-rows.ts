import type { Database } from './database';

/**
 * SQL that reads the timestamp `column` (a property path, e.g. `i.startedAt`, or a column) for
 * a list row, whose timestamps go from the driver to the response as text, never as a Date
 * (pg's parser for timestamptz) turned back into a string. PostgreSQL: `to_char` in UTC, the
 * very text the DateTime scalar sends (`timestamptz(3)` holds milliseconds; `::text` would drop
 * trailing zeros and end in `+00`). SQLite: the stored text as it is, which `isoTimestamp`
 * rewrites (cheaper than SQLite's own `strftime`: 4.9 against 7.3 ms of CPU for 7,000 values).
 */
export function isoTimestampSql(db: Database, column: string): string {
  return db.isSqlite
    ? column
    : `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * A timestamp column as the driver returns it raw (SQLite: `YYYY-MM-DD HH:MM:SS.SSS` text in
 * UTC; PostgreSQL: a Date) → the ISO string the entity's Date would serialize to, for rows read
 * without entity hydration. SQLite's usual form is rewritten as text (a page has 7,000 of them);
 * any other stored form is read the way TypeORM's SQLite driver hydrates it.
 */
export function isoTimestamp(value: string | Date): string;
export function isoTimestamp(value: string | Date | null): string | null;
export function isoTimestamp(value: string | Date | null): string | null {
  if (value === null) {
    return null;
  }
  if (typeof value !== 'string') {
    return value.toISOString();
  }
  if (isSqliteMilliseconds(value)) {
    return `${value.slice(0, 10)}T${value.slice(11)}Z`;
  }
  // A T separator and, without a zone, UTC: as TypeORM hydrates it, then as Date serializes it.
  let text = /^\d{4}-\d\d-\d\d \d\d:\d\d/.test(value) ? value.replace(' ', 'T') : value;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{3})?)?$/.test(text)) {
    text += 'Z';
  }
  return new Date(text).toISOString();
}

/** A timestamp column as the driver returns it raw → the Date an entity would hold. */
export function hydratedDate(value: string | Date): Date {
  return typeof value === 'string' ? new Date(isoTimestamp(value)) : value;
}

// `YYYY-MM-DD HH:MM:SS.SSS` (what TypeORM writes for a Date), by its separators: cheaper than a
// regular expression, and these columns hold nothing else of that shape.
function isSqliteMilliseconds(value: string): boolean {
  return (
    value.length === 23 &&
    value.charCodeAt(4) === 45 &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 32 &&
    value.charCodeAt(13) === 58 &&
    value.charCodeAt(16) === 58 &&
    value.charCodeAt(19) === 46
  );
}
