import type { Database } from './database';

/**
 * SQL that reads the timestamp `column` (a property path, e.g. `i.startedAt`, or a column) as
 * the very text the DateTime scalar sends for it, `2027-01-01T00:00:00.000Z`, so a list row's
 * timestamps go from the driver to the response as they come: no Date built per value (pg's
 * parser for timestamptz) and no string built back from it. PostgreSQL: `to_char` in UTC
 * (`timestamptz(3)` holds milliseconds; `::text` would drop trailing zeros and end `+00`).
 * SQLite: `strftime` reads every form SQLite understands as a time (what TypeORM writes,
 * `YYYY-MM-DD HH:MM:SS.SSS` in UTC, and forms with a `T`, without milliseconds or with a zone,
 * taken as UTC when they have none, as TypeORM hydrates them) and writes the same ISO form.
 * NULL stays NULL.
 */
export function isoTimestampSql(db: Database, column: string): string {
  return db.isSqlite
    ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${column})`
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
