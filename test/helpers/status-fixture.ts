import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Board } from '../../src/boards/board.entity';
import { IncidentPhase, IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { MonitorStatus, MonitorType } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import type { TestApp } from './test-app';

const AT = new Date('2026-02-01T00:00:00.000Z');

export interface StatusFixture {
  boards: Board[];
  monitors: Monitor[];
  incidents: Incident[];
}

/**
 * Status data inserted directly (fixture set-up, not audited): `boards` boards with
 * `monitorsPerBoard` monitors each, `eventsPerMonitor` status events each, and `incidents`
 * incidents spread over the boards, each naming 1–3 of its board's monitors and carrying
 * `updatesPerIncident` updates. Timestamps differ by a millisecond per row, so orders are fixed.
 */
export async function insertStatusFixture(
  app: TestApp,
  sizes: {
    boards: number;
    monitorsPerBoard: number;
    eventsPerMonitor: number;
    incidents: number;
    updatesPerIncident: number;
  },
  organizationId = app.organization.id,
): Promise<StatusFixture> {
  const boards = Array.from({ length: sizes.boards }, (_, i) =>
    Object.assign(new Board(), {
      id: randomUUID(),
      organizationId,
      name: `Board ${i}`,
      createdAt: new Date(AT.getTime() + i),
      updatedAt: AT,
      deletedAt: null,
    }),
  );
  const monitors = boards.flatMap((board, b) =>
    Array.from({ length: sizes.monitorsPerBoard }, (_, i) =>
      Object.assign(new Monitor(), {
        id: randomUUID(),
        organizationId,
        boardId: board.id,
        displayName: `Monitor ${b}.${i}`,
        monitorType: MonitorType.CUSTOM,
        status: MonitorStatus.UP,
        paused: false,
        url: null,
        host: null,
        serviceName: null,
        checkIntervalMinutes: 5,
        requestHeadersJson: null,
        lastCheckedAt: AT,
        createdAt: new Date(AT.getTime() + b * 1000 + i),
        updatedAt: AT,
      }),
    ),
  );
  const statuses = [MonitorStatus.DOWN, MonitorStatus.UP];
  const events = monitors.flatMap((monitor) =>
    Array.from({ length: sizes.eventsPerMonitor }, (_, i) =>
      Object.assign(new StatusEvent(), {
        id: randomUUID(),
        organizationId,
        monitorId: monitor.id,
        status: statuses[i % 2],
        previousStatus: i === 0 ? MonitorStatus.UNKNOWN : statuses[(i + 1) % 2],
        message: null,
        recordedAt: new Date(AT.getTime() + i * 1000),
      }),
    ),
  );
  const incidents = Array.from({ length: sizes.incidents }, (_, i) =>
    Object.assign(new Incident(), {
      id: randomUUID(),
      organizationId,
      boardId: boards[i % boards.length].id,
      name: `Incident ${i}`,
      details: null,
      severity: IncidentSeverity.MINOR,
      phase: IncidentPhase.IDENTIFIED,
      startedAt: new Date(AT.getTime() + i),
      resolvedAt: null,
      willStartAt: null,
      willEndAt: null,
      createdAt: AT,
      updatedAt: AT,
      deletedAt: null,
    }),
  );
  const links: IncidentMonitor[] = [];
  const updates: IncidentUpdate[] = [];
  incidents.forEach((incident, i) => {
    const own = monitors.filter((m) => m.boardId === incident.boardId);
    links.push(
      ...own.slice(0, 1 + (i % 3)).map((m) => ({ incidentId: incident.id, monitorId: m.id })),
    );
    for (let u = 0; u < sizes.updatesPerIncident; u++) {
      updates.push(
        Object.assign(new IncidentUpdate(), {
          id: randomUUID(),
          incidentId: incident.id,
          phase: IncidentPhase.IDENTIFIED,
          message: `Update ${u} of ${i}`,
          createdAt: new Date(AT.getTime() + u),
        }),
      );
    }
  });
  // Chunks of 500 rows per insert keep each statement within SQLite's parameter limit.
  const inChunks = async <T>(
    rows: T[],
    insert: (manager: EntityManager, chunk: T[]) => Promise<unknown>,
  ) => {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await app.services.db.write((m) => insert(m, chunk));
    }
  };
  await inChunks(boards, (m, chunk) => m.insert(Board, chunk));
  await inChunks(monitors, (m, chunk) => m.insert(Monitor, chunk));
  await inChunks(events, (m, chunk) => m.insert(StatusEvent, chunk));
  await inChunks(incidents, (m, chunk) => m.insert(Incident, chunk));
  await inChunks(links, (m, chunk) => m.insert(IncidentMonitor, chunk));
  await inChunks(updates, (m, chunk) => m.insert(IncidentUpdate, chunk));
  return { boards, monitors, incidents };
}
