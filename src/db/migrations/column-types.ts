import type { QueryRunner, TableColumnOptions } from 'typeorm';

/** Column shapes that differ per database, for migrations written once for both. */
export function columns(queryRunner: QueryRunner) {
  const postgres = queryRunner.connection.options.type === 'postgres';
  return {
    id: (name: string): TableColumnOptions => ({ name, type: 'varchar', length: '36' }),
    primaryId: (): TableColumnOptions => ({
      name: 'id',
      type: 'varchar',
      length: '36',
      isPrimary: true,
    }),
    text: (name: string, length: number, nullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable: nullable,
    }),
    boolean: (name: string): TableColumnOptions => ({ name, type: 'boolean' }),
    // Milliseconds on both: SQLite keeps the text TypeORM writes, PostgreSQL needs precision 3.
    timestamp: (name: string, nullable = false): TableColumnOptions =>
      postgres
        ? { name, type: 'timestamptz', precision: 3, isNullable: nullable }
        : { name, type: 'datetime', isNullable: nullable },
  };
}
