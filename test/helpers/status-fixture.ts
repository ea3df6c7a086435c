import { randomUUID } from 'node:crypto';
import { Board } from '../../src/boards/board.entity';
import { IncidentPhase } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { MonitorStatus } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { boardRow, incidentRow, insertRows, monitorRow } from './incident-fixture';
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
    Object.assign(boardRow(organizationId, `Board ${i}`, AT), {
      createdAt: new Date(AT.getTime() + i),
    }),
  );
  const monitors = boards.flatMap((board, b) =>
    Array.from({ length: sizes.monitorsPerBoard }, (_, i) =>
      monitorRow(
        organizationId,
        board.id,
        `Monitor ${b}.${i}`,
        new Date(AT.getTime() + b * 1000 + i),
        { status: MonitorStatus.UP, lastCheckedAt: AT, updatedAt: AT },
      ),
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
    incidentRow(organizationId, boards[i % boards.length].id, i, AT, {
      startedAt: new Date(AT.getTime() + i),
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
  const { services } = app;
  await insertRows(services, Board, boards);
  await insertRows(services, Monitor, monitors);
  await insertRows(services, StatusEvent, events);
  await insertRows(services, Incident, incidents);
  await insertRows(services, IncidentMonitor, links);
  await insertRows(services, IncidentUpdate, updates);
  return { boards, monitors, incidents };
}
