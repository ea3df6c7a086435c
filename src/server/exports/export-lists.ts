import type { Actor } from '../../core/context';
import type { PageArgs } from '../../db/pagination';
import { IncidentOrder, IncidentPhase, IncidentSeverity } from '../../incidents/incident-enums';
import { IncidentFilter } from '../../incidents/incident.inputs';
import type { IncidentService } from '../../incidents/incident.service';
import { MonitorStatus, MonitorType } from '../../monitors/monitor-enums';
import type { Monitor } from '../../monitors/monitor.entity';
import { MonitorFilter, StatusEventFilter } from '../../monitors/monitor.inputs';
import type { MonitorService } from '../../monitors/monitor.service';
import type { StatusEvent } from '../../monitors/status-event.entity';
import type { ExportRecord } from './export-formats';
import { type ExportParam, booleanParam, dateTimeParam, enumParam, idParam } from './export-params';

/** One page of an export: its rows as records, and where the next page starts. */
export interface ExportPage {
  records: ExportRecord[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * A GraphQL list as an export: its filters and order as query-string parameters (same names,
 * values and rules), the columns of its type (links as ids, never `Monitor.requestHeaders`), and
 * a page read through the list's own service method: tenancy, board scope, filters and keyset
 * order are the list's.
 */
export interface ExportList {
  name: 'incidents' | 'monitors' | 'status-events';
  params: Readonly<Record<string, ExportParam>>;
  columns: readonly string[];
  /** Statements a page runs (its cost beside the rows it reads). */
  statements: number;
  page(actor: Actor, args: Record<string, unknown>, page: PageArgs): Promise<ExportPage>;
}

export interface ExportListServices {
  incidents: Pick<IncidentService, 'list' | 'monitorIdsOf'>;
  monitors: Pick<MonitorService, 'list' | 'statusEvents'>;
}

// The compiler keeps each list's parameters equal to its filter's fields (test/unit checks the
// schema's arguments too).
const INCIDENT_FILTER: Record<keyof IncidentFilter, ExportParam> = {
  boardId: idParam,
  monitorId: idParam,
  phase: enumParam(IncidentPhase),
  severity: enumParam(IncidentSeverity),
  startedAfter: dateTimeParam,
  startedBefore: dateTimeParam,
  updatedAfter: dateTimeParam,
  includeDeleted: booleanParam,
};

const MONITOR_FILTER: Record<keyof MonitorFilter, ExportParam> = {
  boardId: idParam,
  monitorType: enumParam(MonitorType),
  status: enumParam(MonitorStatus),
};

const STATUS_EVENT_FILTER: Record<keyof StatusEventFilter, ExportParam> = {
  monitorId: idParam,
  status: enumParam(MonitorStatus),
  recordedAfter: dateTimeParam,
  recordedBefore: dateTimeParam,
};

/** The filter object of `args` (the parameters but `orderBy`), as the GraphQL list receives it. */
function filterOf<F extends object>(
  type: new () => F,
  args: Record<string, unknown>,
): F | undefined {
  const fields = Object.entries(args).filter(([name]) => name !== 'orderBy');
  return fields.length === 0 ? undefined : Object.assign(new type(), Object.fromEntries(fields));
}

/**
 * The record of an entity: its value in each column, a timestamp as the API's DateTime text.
 * The columns are the only fields read, so what they leave out (`requestHeaders`) never leaves.
 */
function recordOf<T extends object>(
  entity: T,
  columns: readonly (keyof T & string)[],
): ExportRecord {
  const record: ExportRecord = {};
  for (const column of columns) {
    const value: unknown = entity[column];
    record[column] = (value instanceof Date ? value.toISOString() : value) as ExportRecord[string];
  }
  return record;
}

function incidentsList({ incidents }: ExportListServices): ExportList {
  return {
    name: 'incidents',
    params: { ...INCIDENT_FILTER, orderBy: enumParam(IncidentOrder) },
    columns: [
      'id',
      'boardId',
      'name',
      'details',
      'severity',
      'phase',
      'monitorIds',
      'startedAt',
      'resolvedAt',
      'willStartAt',
      'willEndAt',
      'createdAt',
      'updatedAt',
      'deletedAt',
    ],
    statements: 2,
    async page(actor, args, page) {
      const orderBy = (args.orderBy as IncidentOrder | undefined) ?? IncidentOrder.STARTED_AT_DESC;
      const found = await incidents.list(actor, filterOf(IncidentFilter, args), orderBy, page);
      const monitorIds = await incidents.monitorIdsOf(
        actor,
        found.nodes.map((row) => row.id),
      );
      // The page's own rows gain their monitorIds in place: no second object per row.
      const records = found.nodes.map((row) =>
        Object.assign(row as unknown as ExportRecord, { monitorIds: monitorIds.get(row.id) ?? [] }),
      );
      return { records, ...found.pageInfo };
    },
  };
}

// Field by field: requestHeaders (section 3's security field) is never among them.
const MONITOR_COLUMNS = [
  'id',
  'boardId',
  'displayName',
  'monitorType',
  'status',
  'paused',
  'url',
  'host',
  'serviceName',
  'checkIntervalMinutes',
  'lastCheckedAt',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof Monitor)[];

function monitorsList({ monitors }: ExportListServices): ExportList {
  return {
    name: 'monitors',
    params: MONITOR_FILTER,
    columns: MONITOR_COLUMNS,
    statements: 1,
    async page(actor, args, page) {
      const found = await monitors.list(actor, filterOf(MonitorFilter, args), page);
      const records = found.nodes.map((m: Monitor) => recordOf(m, MONITOR_COLUMNS));
      return { records, ...found.pageInfo };
    },
  };
}

const STATUS_EVENT_COLUMNS = [
  'id',
  'monitorId',
  'status',
  'previousStatus',
  'message',
  'recordedAt',
] as const satisfies readonly (keyof StatusEvent)[];

function statusEventsList({ monitors }: ExportListServices): ExportList {
  return {
    name: 'status-events',
    params: STATUS_EVENT_FILTER,
    columns: STATUS_EVENT_COLUMNS,
    statements: 1,
    async page(actor, args, page) {
      const found = await monitors.statusEvents(actor, filterOf(StatusEventFilter, args), page);
      const records = found.nodes.map((e: StatusEvent) => recordOf(e, STATUS_EVENT_COLUMNS));
      return { records, ...found.pageInfo };
    },
  };
}

/** The exports by the name in their path (`/export/<name>.ndjson|csv`). */
export function exportLists(services: ExportListServices): ReadonlyMap<string, ExportList> {
  return new Map(
    [incidentsList, monitorsList, statusEventsList].map((make) => {
      const list = make(services);
      return [list.name, list];
    }),
  );
}
