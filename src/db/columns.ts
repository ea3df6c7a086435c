import { Column, type ColumnOptions } from 'typeorm';

/**
 * A timestamp set in code with milliseconds. `type: Date` lets each driver pick its own column
 * handling (SQLite stores `YYYY-MM-DD HH:MM:SS.SSS` in UTC, PostgreSQL `timestamptz(3)` from the
 * migrations); never `@CreateDateColumn`/`@UpdateDateColumn`, which write whole seconds on SQLite.
 */
export function TimestampColumn(options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator {
  return Column({ type: Date, nullable: options.nullable ?? false });
}

/** Opaque string ids (UUIDs assigned in code): any client string compares without a type error. */
export const ID_COLUMN = { type: 'varchar', length: 36 } as const;
