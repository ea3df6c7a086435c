import { randomUUID } from 'node:crypto';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { Services } from '../../src/app';
import { Board } from '../../src/boards/board.entity';
import { IncidentPhase, IncidentSeverity } from '../../src/incidents/incident-enums';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { Incident } from '../../src/incidents/incident.entity';
import { MonitorStatus, MonitorType } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';

/**
 * Bulk incidents written straight to the database, for tests that need hundreds or thousands of
 * rows (paging, statement counts, timeouts, sync): the API would take minutes to create them and
 * could not give them the past or tied timestamps these tests are about. The row builders give
 * every column, so a test states only what its shape is about; `insertBulkIncidents` builds the
 * common shape (boards, monitors, incidents listing some, updates) from a few numbers.
 */

/** A live board of the organization, created and updated at `at`. */
export function boardRow(organizationId: string, name: string, at: Date): Board {
  return Object.assign(new Board(), {
    id: randomUUID(),
    organizationId,
    name,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
  });
}

/** A never-checked CUSTOM monitor created at `createdAt`; `overrides` for any other column. */
export function monitorRow(
  organizationId: string,
  boardId: string,
  displayName: string,
  createdAt: Date,
  overrides: Partial<Monitor> = {},
): Monitor {
  return Object.assign(new Monitor(), {
    id: randomUUID(),
    organizationId,
    boardId,
    displayName,
    monitorType: MonitorType.CUSTOM,
    status: MonitorStatus.UNKNOWN,
    paused: false,
    url: null,
    host: null,
    serviceName: null,
    checkIntervalMinutes: 5,
    requestHeadersJson: null,
    lastCheckedAt: null,
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  });
}

/**
 * A live MINOR incident named `Incident ${i}`, IDENTIFIED, started, created and updated at `at`;
 * `overrides` for any other column (phase, timestamps, deletedAt for a tombstone…).
 */
export function incidentRow(
  organizationId: string,
  boardId: string,
  i: number,
  at: Date,
  overrides: Partial<Incident> = {},
): Incident {
  return Object.assign(new Incident(), {
    id: randomUUID(),
    organizationId,
    boardId,
    name: `Incident ${i}`,
    details: null,
    severity: IncidentSeverity.MINOR,
    phase: IncidentPhase.IDENTIFIED,
    startedAt: at,
    resolvedAt: null,
    willStartAt: null,
    willEndAt: null,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    ...overrides,
  });
}

/** Inserts rows in chunks of 500, which keeps each statement within SQLite's parameter limit. */
export async function insertRows<T extends ObjectLiteral>(
  services: Services,
  entity: EntityTarget<T>,
  rows: T[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await services.db.write((manager) => manager.insert(entity, chunk));
  }
}

export interface BulkIncidentShape {
  /** The instant the first incident starts; boards and monitors are created then too. */
  at: Date;
  /** Incidents, spread over the boards in turn (incident i on board i % boards). */
  count: number;
  boards: number;
  monitorsPerBoard: number;
  /** Milliseconds between one incident's startedAt (and its updates') and the next one's. */
  spacingMs: number;
  updatesPerIncident: number;
  /** Whether incidents carry a details text (a heavier row) or null. */
  details: boolean;
}

export interface BulkIncidents {
  boards: Board[];
  /** Board by board, `monitorsPerBoard` each. */
  monitors: Monitor[];
  incidents: Incident[];
  /** incidentId → the monitor ids it lists: 1 to 3 of its own board's, by `i % 3`. */
  monitorsOf: Map<string, string[]>;
  /** incidentId → the ids of its updates. */
  updatesOf: Map<string, string[]>;
}

/**
 * Boards with UP monitors, and `count` live incidents each listing 1–3 monitors of its board and
 * carrying `updatesPerIncident` updates, in the organization.
 */
export async function insertBulkIncidents(
  services: Services,
  organizationId: string,
  shape: BulkIncidentShape,
): Promise<BulkIncidents> {
  const { at } = shape;
  const boards = Array.from({ length: shape.boards }, (_, b) =>
    boardRow(organizationId, `Board ${b}`, at),
  );
  const monitors = boards.flatMap((board, b) =>
    Array.from({ length: shape.monitorsPerBoard }, (_, i) =>
      monitorRow(organizationId, board.id, `Monitor ${b}.${i}`, new Date(at.getTime() + i), {
        status: MonitorStatus.UP,
        lastCheckedAt: at,
        updatedAt: at,
      }),
    ),
  );
  const startOf = (i: number) => at.getTime() + i * shape.spacingMs;
  const incidents = Array.from({ length: shape.count }, (_, i) =>
    incidentRow(organizationId, boards[i % boards.length].id, i, at, {
      details: shape.details ? `What happened in incident ${i}` : null,
      startedAt: new Date(startOf(i)),
    }),
  );
  const monitorsOf = new Map<string, string[]>();
  const updatesOf = new Map<string, string[]>();
  const links: IncidentMonitor[] = [];
  const updates: IncidentUpdate[] = [];
  incidents.forEach((incident, i) => {
    const own = monitors.filter((monitor) => monitor.boardId === incident.boardId);
    const listed = own.slice(0, 1 + (i % 3)).map((monitor) => monitor.id);
    monitorsOf.set(incident.id, listed);
    links.push(...listed.map((monitorId) => ({ incidentId: incident.id, monitorId })));
    const ownUpdates = Array.from({ length: shape.updatesPerIncident }, (_, u) =>
      Object.assign(new IncidentUpdate(), {
        id: randomUUID(),
        incidentId: incident.id,
        phase: IncidentPhase.IDENTIFIED,
        message: `Update ${u} of incident ${i}`,
        createdAt: new Date(startOf(i) + u),
      }),
    );
    updatesOf.set(
      incident.id,
      ownUpdates.map((update) => update.id),
    );
    updates.push(...ownUpdates);
  });
  await insertRows(services, Board, boards);
  await insertRows(services, Monitor, monitors);
  await insertRows(services, Incident, incidents);
  await insertRows(services, IncidentMonitor, links);
  await insertRows(services, IncidentUpdate, updates);
  return { boards, monitors, incidents, monitorsOf, updatesOf };
}
