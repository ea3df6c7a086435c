import type { Database } from './database';

/**
 * Timestamp arithmetic in SQL, the same on both databases to the millisecond. SQLite keeps
 * `YYYY-MM-DD HH:MM:SS.SSS` text in UTC: julianday() reads it, and the day fraction times 86.4
 * million, rounded, is the exact millisecond (a double holds it to about 0.03 ms). PostgreSQL
 * keeps `timestamptz(3)`: EXTRACT(EPOCH) is an exact numeric there (PostgreSQL 14 and later).
 */

/** Milliseconds since 1970 of a timestamp expression, as an integer. */
export function epochMsSql(db: Database, expression: string): string {
  return db.isSqlite
    ? `CAST(ROUND((julianday(${expression}) - 2440587.5) * 86400000.0) AS INTEGER)`
    : `CAST(ROUND(EXTRACT(EPOCH FROM ${expression}) * 1000) AS BIGINT)`;
}

/** A timestamp parameter (`:name`, bound with `Database.timestamp`) typed for either database. */
export function timestampParamSql(db: Database, name: string): string {
  return db.isSqlite ? `:${name}` : `CAST(:${name} AS TIMESTAMPTZ)`;
}

/** The later of two timestamp expressions. */
export function laterSql(db: Database, a: string, b: string): string {
  return db.isSqlite ? `MAX(${a}, ${b})` : `GREATEST(${a}, ${b})`;
}
