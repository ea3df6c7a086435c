import { randomUUID } from 'node:crypto';
import type { EntityManager, ObjectLiteral, EntityTarget } from 'typeorm';
import type { AuditLogService } from '../audit/audit-log.service';
import type { Database } from '../db/database';
import type { ApiTokenService } from '../tokens/api-token.service';
import { Board } from '../boards/board.entity';
import { Incident } from '../incidents/incident.entity';
import { IncidentMonitor } from '../incidents/incident-monitor.entity';
import { IncidentUpdate } from '../incidents/incident-update.entity';
import { MonitorStatus } from '../monitors/monitor-enums';
import { Monitor } from '../monitors/monitor.entity';
import { checkMonitorShape, type MonitorShape } from '../monitors/monitor-rules';
import { StatusEvent } from '../monitors/status-event.entity';
import type { Organization } from '../organizations/organization.entity';
import { systemActor } from '../organizations/organization.service';
import { TokenPermission } from '../tokens/token-permission';
import { DEMO_BOARDS, DEMO_MONITORS, OPEN_INCIDENTS } from './demo-catalog';
import { DAY, HOUR, MINUTE, statusHistory } from './demo-history';
import { type DemoMonitor, demoIncidents } from './demo-incidents';
import { SeededRandom } from './seeded-random';

/** What the seed uses; app.ts's services satisfy it (demo/ stands below the composition root). */
export interface DemoServices {
  db: Database;
  tokens: Pick<ApiTokenService, 'insert'>;
  audit: Pick<AuditLogService, 'succeeded'>;
}

/** What a seed added; all zero (and `seeded` false) when the organization already had boards. */
export interface DemoSummary {
  seeded: boolean;
  boards: number;
  monitors: number;
  statusEvents: number;
  incidents: number;
}

export const DEMO_TOKEN_NAME = 'Wall board (demo)';
const SEED = 20240601;
const HISTORY_DAYS = 90;
// Well under SQLite's limit of bound variables per statement, whatever the column count.
const CHUNK = 500;

/**
 * Fills an organization that has no boards yet with a realistic status history: boards, monitors
 * of every type, about 90 days of status events, about forty incidents with their updates, and a
 * READ_ONLY token for a wall board (its secret is not shown: create another to use it). One
 * transaction and one audit event; the same shape on every run, times relative to now.
 */
export function seedDemo(services: DemoServices, organization: Organization): Promise<DemoSummary> {
  return services.db.write(async (manager) => {
    // Checked inside the write, so two seeds at once cannot both find the organization empty.
    if ((await manager.countBy(Board, { organizationId: organization.id })) > 0) {
      return { seeded: false, boards: 0, monitors: 0, statusEvents: 0, incidents: 0 };
    }
    // db.now() keeps every seeded time behind the next change's, as incremental sync expects.
    const rows = demoRows(new SeededRandom(SEED), organization.id, services.db.now().getTime());
    await insertChunked(manager, Board, rows.boards);
    await insertChunked(manager, Monitor, rows.monitors);
    await insertChunked(manager, StatusEvent, rows.statusEvents);
    await insertChunked(manager, Incident, rows.incidents.incidents);
    await insertChunked(manager, IncidentUpdate, rows.incidents.updates);
    await insertChunked(manager, IncidentMonitor, rows.incidents.links);
    await services.tokens.insert(manager, organization.id, {
      name: DEMO_TOKEN_NAME,
      permission: TokenPermission.READ_ONLY,
    });
    await services.audit.succeeded(manager, systemActor(organization, 'demo.seed'), {
      type: 'Organization',
      id: organization.id,
    });
    return {
      seeded: true,
      boards: rows.boards.length,
      monitors: rows.monitors.length,
      statusEvents: rows.statusEvents.length,
      incidents: rows.incidents.incidents.length,
    };
  });
}

function demoRows(random: SeededRandom, organizationId: string, now: number) {
  const at = (ms: number) => new Date(Math.round(ms));
  const boardsStart = now - (HISTORY_DAYS + 10) * DAY;
  const boards = DEMO_BOARDS.map((name, i) => {
    const createdAt = at(boardsStart + i * random.between(HOUR, 6 * HOUR));
    return Object.assign(new Board(), {
      id: randomUUID(),
      organizationId,
      name,
      createdAt,
      updatedAt: createdAt,
      deletedAt: null,
    });
  });
  const statusEvents: StatusEvent[] = [];
  const monitors: DemoMonitor[] = DEMO_MONITORS.map((spec, i) => {
    const shape: MonitorShape = {
      monitorType: spec.monitorType,
      displayName: spec.displayName,
      url: spec.url ?? null,
      host: spec.host ?? null,
      serviceName: spec.serviceName ?? null,
      checkIntervalMinutes: spec.checkIntervalMinutes,
      requestHeaders: spec.requestHeaders ?? null,
    };
    checkMonitorShape(shape);
    const createdAt = now - (HISTORY_DAYS + 5) * DAY + i * random.between(MINUTE, 3 * HOUR);
    const pausedAt = spec.pausedDaysAgo ? now - spec.pausedDaysAgo * DAY : null;
    const open = OPEN_INCIDENTS.find((o) => o.monitors[0] === spec.displayName);
    const history = statusHistory(
      random,
      spec.monitorType,
      createdAt,
      pausedAt ?? now - 40 * MINUTE,
      open ? { status: open.status, since: now - open.sinceMinutesAgo * MINUTE } : null,
    );
    const lastCheckedAt =
      pausedAt ?? now - random.between(0, Math.min(spec.checkIntervalMinutes, 15) * MINUTE);
    const { requestHeaders, ...fields } = shape;
    const monitor = Object.assign(new Monitor(), {
      id: randomUUID(),
      organizationId,
      boardId: boards[DEMO_BOARDS.indexOf(spec.board)].id,
      ...fields,
      requestHeadersJson: requestHeaders === null ? null : JSON.stringify(requestHeaders),
      status: history.events.at(-1)?.status ?? MonitorStatus.UNKNOWN,
      paused: pausedAt !== null,
      lastCheckedAt: at(lastCheckedAt),
      createdAt: at(createdAt),
      // Every report moves updatedAt, as setMonitorStatus does.
      updatedAt: at(lastCheckedAt),
    });
    for (const event of history.events) {
      statusEvents.push(
        Object.assign(new StatusEvent(), {
          id: randomUUID(),
          organizationId,
          monitorId: monitor.id,
          status: event.status,
          previousStatus: event.previousStatus,
          message: event.message,
          recordedAt: at(event.at),
        }),
      );
    }
    return { monitor, outages: history.outages };
  });
  return {
    boards,
    monitors: monitors.map((m) => m.monitor),
    statusEvents,
    incidents: demoIncidents(random, organizationId, now, monitors),
  };
}

async function insertChunked<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await manager.insert(target, rows.slice(i, i + CHUNK));
  }
}
