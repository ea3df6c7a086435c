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
