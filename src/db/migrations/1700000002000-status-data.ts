import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';
import { columns } from './column-types';

/**
 * Monitors with their status history, and incidents with their updates and affected monitors.
 * Boards become soft-deletable so that the tombstones of their incidents keep a board.
 * Every index serves a filter or an order of the API's lists, ending in `id` for keyset pages.
 */
export class StatusData1700000002000 implements MigrationInterface {
  name = 'StatusData1700000002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    const org = {
      columnNames: ['organization_id'],
      referencedTableName: 'organization',
      referencedColumnNames: ['id'],
    };
    await queryRunner.addColumn('board', new TableColumn(c.timestamp('deleted_at', true)));
    await queryRunner.createTable(
      new Table({
        name: 'monitor',
        columns: [
          c.primaryId(),
          c.id('organization_id'),
          c.id('board_id'),
          c.text('display_name', 100),
          c.text('monitor_type', 16),
          c.text('status', 16),
          c.boolean('paused'),
          c.text('url', 2048, true),
          c.text('host', 253, true),
          c.text('service_name', 100, true),
          { name: 'check_interval_minutes', type: 'integer' },
          { name: 'request_headers_json', type: 'text', isNullable: true },
          c.timestamp('last_checked_at', true),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        foreignKeys: [
          org,
          {
            columnNames: ['board_id'],
            referencedTableName: 'board',
            referencedColumnNames: ['id'],
          },
        ],
        indices: [
          { name: 'IDX_monitor_org_created', columnNames: ['organization_id', 'created_at', 'id'] },
          {
            name: 'IDX_monitor_org_board',
            columnNames: ['organization_id', 'board_id', 'created_at', 'id'],
          },
          {
            name: 'IDX_monitor_org_status',
            columnNames: ['organization_id', 'status', 'created_at', 'id'],
          },
          {
            name: 'IDX_monitor_org_type',
            columnNames: ['organization_id', 'monitor_type', 'created_at', 'id'],
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'status_event',
        columns: [
          c.primaryId(),
          c.id('organization_id'),
          c.id('monitor_id'),
          c.text('status', 16),
          c.text('previous_status', 16),
          { name: 'message', type: 'text', isNullable: true },
          c.timestamp('recorded_at'),
        ],
        foreignKeys: [
          org,
          {
            columnNames: ['monitor_id'],
            referencedTableName: 'monitor',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [
          {
            name: 'IDX_status_event_org_recorded',
            columnNames: ['organization_id', 'recorded_at', 'id'],
          },
          {
            name: 'IDX_status_event_monitor_recorded',
            columnNames: ['monitor_id', 'recorded_at', 'id'],
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'incident',
        columns: [
          c.primaryId(),
          c.id('organization_id'),
          c.id('board_id'),
          c.text('name', 100),
          { name: 'details', type: 'text', isNullable: true },
          c.text('severity', 16),
          c.text('phase', 16),
          c.timestamp('started_at'),
          c.timestamp('resolved_at', true),
          c.timestamp('will_start_at', true),
          c.timestamp('will_end_at', true),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
          c.timestamp('deleted_at', true),
        ],
        foreignKeys: [
          org,
          {
            columnNames: ['board_id'],
            referencedTableName: 'board',
            referencedColumnNames: ['id'],
          },
        ],
        indices: [
          {
            name: 'IDX_incident_org_started',
            columnNames: ['organization_id', 'started_at', 'id'],
          },
          {
            name: 'IDX_incident_org_updated',
            columnNames: ['organization_id', 'updated_at', 'id'],
          },
          {
            name: 'IDX_incident_org_board_started',
            columnNames: ['organization_id', 'board_id', 'started_at', 'id'],
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'incident_monitor',
        columns: [
          { ...c.id('incident_id'), isPrimary: true },
          { ...c.id('monitor_id'), isPrimary: true },
        ],
        foreignKeys: [
          {
            columnNames: ['incident_id'],
            referencedTableName: 'incident',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['monitor_id'],
            referencedTableName: 'monitor',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [
          { name: 'IDX_incident_monitor_monitor', columnNames: ['monitor_id', 'incident_id'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'incident_update',
        columns: [
          c.primaryId(),
          c.id('incident_id'),
          c.text('phase', 16),
          { name: 'message', type: 'text' },
          c.timestamp('created_at'),
        ],
        foreignKeys: [
          {
            columnNames: ['incident_id'],
            referencedTableName: 'incident',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [
          {
            name: 'IDX_incident_update_incident',
            columnNames: ['incident_id', 'created_at', 'id'],
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'incident_update',
      'incident_monitor',
      'incident',
      'status_event',
      'monitor',
    ]) {
      await queryRunner.dropTable(table);
    }
    await queryRunner.dropColumn('board', 'deleted_at');
  }
}
