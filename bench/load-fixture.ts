import { randomUUID } from 'node:crypto';
import type { Services } from '../src/app';
import { Board } from '../src/boards/board.entity';
import { IncidentMonitor } from '../src/incidents/incident-monitor.entity';
import { Incident } from '../src/incidents/incident.entity';
import { MonitorStatus, MonitorType } from '../src/monitors/monitor-enums';
import { Monitor } from '../src/monitors/monitor.entity';
import { TokenPermission } from '../src/tokens/token-permission';
import { insertIncidents } from './incident-fixture';

const CHUNK = 500;
const STATUSES = [MonitorStatus.UP, MonitorStatus.UP, MonitorStatus.WARN, MonitorStatus.DOWN];

export interface LoadFixture {
  organizationId: string;
  boardId: string;
  monitorIds: string[];
  /** Sent as `Authorization: Bearer …` by every load request; never printed. */
  fullAccessSecret: string;
}

/**
 * The paging bench's organization (`incidents` incidents on one board) plus `monitors` SERVICE
 * monitors on that board, each incident affecting one to three of them, and a FULL_ACCESS token
 * for the load, which reads and writes.
 */
export async function insertLoadFixture(
  services: Services,
  incidents: number,
  monitors: number,
): Promise<LoadFixture> {
  const { organizationId } = await insertIncidents(services, incidents);
  const board = await services.db.reader.findOneByOrFail(Board, { organizationId });
  const fixture = await services.db.write(async (manager) => {
    const { secret } = await services.tokens.insert(manager, organizationId, {
      name: 'Load test',
      permission: TokenPermission.FULL_ACCESS,
    });
    const now = new Date();
    const monitorRows = Array.from({ length: monitors }, (_, i) =>
      Object.assign(new Monitor(), {
        id: randomUUID(),
        organizationId,
        boardId: board.id,
        displayName: `Service ${i}`,
        monitorType: MonitorType.SERVICE,
        status: STATUSES[i % STATUSES.length],
        paused: false,
        url: null,
        host: null,
        serviceName: `service-${i}`,
        checkIntervalMinutes: 5,
        requestHeadersJson: null,
        lastCheckedAt: now,
        createdAt: now,
        updatedAt: now,
      }),
    );
    for (let start = 0; start < monitorRows.length; start += CHUNK) {
      await manager.insert(Monitor, monitorRows.slice(start, start + CHUNK));
    }
    const incidentIds = (
      await manager.find(Incident, { select: { id: true }, where: { organizationId } })
    ).map((incident) => incident.id);
    const links: IncidentMonitor[] = incidentIds.flatMap((incidentId, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, k) =>
        Object.assign(new IncidentMonitor(), {
          incidentId,
          monitorId: monitorRows[(i * 7 + k * 13) % monitorRows.length].id,
        }),
      ),
    );
    for (let start = 0; start < links.length; start += CHUNK) {
      await manager.insert(IncidentMonitor, links.slice(start, start + CHUNK));
    }
    return {
      organizationId,
      boardId: board.id,
      monitorIds: monitorRows.map((monitor) => monitor.id),
      fullAccessSecret: secret,
    };
  });
  if (!services.db.isSqlite) {
    // As in insertIncidents: give the planner the statistics a database in service has.
    await services.db.reader.query('ANALYZE monitor');
    await services.db.reader.query('ANALYZE incident_monitor');
  }
  return fixture;
}
