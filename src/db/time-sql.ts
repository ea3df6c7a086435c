import type { Database } from './database';

/**
 * Time arithmetic in SQL, exact to the millisecond on both databases, for sums over many rows.
 * SQLite keeps `YYYY-MM-DD HH:MM:SS.SSS` text in UTC: an instant becomes its integer milliseconds
 * since 1970 (julianday() reads the text; the day fraction times 86.4 million, rounded, is exact:
 * a double holds it to about 0.03 ms), and differences and sums are integers. PostgreSQL keeps
 * `timestamptz(3)`: differences are intervals, summed as intervals (microsecond-exact), and only
 * each sum becomes milliseconds — numeric arithmetic on every row costs twice the time there.
 */

/** An instant to subtract from another (`later - earlier` is then an elapsed time). */
export function instantSql(db: Database, timestamp: string): string {
  return db.isSqlite
    ? `CAST(ROUND((julianday(${timestamp}) - 2440587.5) * 86400000.0) AS INTEGER)`
    : timestamp;
}

/** Milliseconds of a sum of elapsed times (`SUM(later - earlier)`); 0 for a sum of no rows. */
export function totalMsSql(db: Database, sum: string): string {
  return db.isSqlite
    ? `COALESCE(${sum}, 0)`
    : `COALESCE(CAST(ROUND(EXTRACT(EPOCH FROM ${sum}) * 1000) AS BIGINT), 0)`;
}

/** A timestamp parameter (`:name`, bound with `Database.timestamp`) typed for either database. */
export function timestampParamSql(db: Database, name: string): string {
  return db.isSqlite ? `:${name}` : `CAST(:${name} AS TIMESTAMPTZ)`;
}

/** The later of two timestamp expressions. */
export function laterSql(db: Database, a: string, b: string): string {
  return db.isSqlite ? `MAX(${a}, ${b})` : `GREATEST(${a}, ${b})`;
}
