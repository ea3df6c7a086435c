import { randomUUID } from 'node:crypto';
import { Board } from '../src/boards/board.entity';
import type { Services } from '../src/app';
import { IncidentPhase, IncidentSeverity } from '../src/incidents/incident-enums';
import { IncidentMonitor } from '../src/incidents/incident-monitor.entity';
import { Incident } from '../src/incidents/incident.entity';
import { MonitorStatus, MonitorType } from '../src/monitors/monitor-enums';
import { Monitor } from '../src/monitors/monitor.entity';
import { TokenPermission } from '../src/tokens/token-permission';

const CHUNK = 500;
const SEVERITIES = [IncidentSeverity.MINOR, IncidentSeverity.MAJOR, IncidentSeverity.MINOR];

export interface IncidentFixture {
  organizationId: string;
  readOnlySecret: string;
}

export interface MonitorLinks {
  /** Monitors on the board. */
  monitors: number;
  /** The newest incidents, in the list's default order, that affect one to three of them. */
  linked: number;
}

/**
 * One organization with `count` incidents on one board, started a minute apart going back from
 * now, three at a time sharing a startedAt so that pages also lean on the id tie-breaker; with
 * `links`, monitors on the board and the newest incidents affecting them.
 */
export async function insertIncidents(
  services: Services,
  count: number,
  links: MonitorLinks = { monitors: 0, linked: 0 },
): Promise<IncidentFixture> {
  const { organization } = await services.organizations.create('Bench paging', 'bench');
  const fixture = await services.db.write(async (manager) => {
    const { secret } = await services.tokens.insert(manager, organization.id, {
      name: 'Bench export',
      permission: TokenPermission.READ_ONLY,
    });
    const now = Date.now();
    const board = {
      id: randomUUID(),
      organizationId: organization.id,
      name: 'Bench',
      createdAt: new Date(now - count * 60_000),
      updatedAt: new Date(now - count * 60_000),
      deletedAt: null,
    };
    await manager.insert(Board, board);
    const monitors = Array.from({ length: links.monitors }, (_, i) =>
      Object.assign(new Monitor(), {
        id: randomUUID(),
        organizationId: organization.id,
        boardId: board.id,
        displayName: `Service ${i}`,
        monitorType: MonitorType.SERVICE,
        status: i % 5 === 0 ? MonitorStatus.DOWN : MonitorStatus.UP,
        paused: false,
        url: null,
        host: null,
        serviceName: `service-${i}`,
        checkIntervalMinutes: 5,
        requestHeadersJson: null,
        lastCheckedAt: board.createdAt,
        createdAt: board.createdAt,
        updatedAt: board.createdAt,
      }),
    );
    if (monitors.length > 0) {
      await manager.insert(Monitor, monitors);
    }
    for (let start = 0; start < count; start += CHUNK) {
      const rows: Incident[] = [];
      const affected: IncidentMonitor[] = [];
      for (let i = start; i < Math.min(count, start + CHUNK); i++) {
        const startedAt = new Date(now - Math.floor(i / 3) * 60_000 - (i % 1000));
        const resolvedAt = new Date(startedAt.getTime() + 47 * 60_000 + 123);
        rows.push(
          Object.assign(new Incident(), {
            id: randomUUID(),
            organizationId: organization.id,
            boardId: board.id,
            name: `Elevated error rates on service ${i % 97}`,
            details:
              'Some requests failed with HTTP 503 while a node was replaced; retries succeeded.',
            severity: SEVERITIES[i % SEVERITIES.length],
            phase: IncidentPhase.RESOLVED,
            startedAt,
            resolvedAt,
            willStartAt: null,
            willEndAt: null,
            createdAt: startedAt,
            updatedAt: resolvedAt,
            deletedAt: null,
          }),
        );
        if (i < links.linked && monitors.length > 0) {
          const picked = new Set(
            [0, 1, 2]
              .slice(0, 1 + (i % 3))
              .map((k) => monitors[(i * 7 + k * 13) % monitors.length]),
          );
          for (const monitor of picked) {
            affected.push({ incidentId: rows[rows.length - 1].id, monitorId: monitor.id });
          }
        }
      }
      await manager.insert(Incident, rows);
      for (let from = 0; from < affected.length; from += CHUNK) {
        await manager.insert(IncidentMonitor, affected.slice(from, from + CHUNK));
      }
    }
    return { organizationId: organization.id, readOnlySecret: secret };
  });
  if (!services.db.isSqlite) {
    // PostgreSQL plans from table statistics, which autovacuum gathers only some while after a
    // bulk insert: until then it reads and sorts all the organization's rows for every page (the
    // first page then costs more than the deep one), and when autovacuum runs mid-bench the
    // figures change with it. A database in service has them, so gather them now.
    await services.db.reader.query('ANALYZE incident');
  }
  return fixture;
}

/**
 * The `after` cursor that makes `incidents` (STARTED_AT_DESC) start at row `offset`: the cursor
 * of the row before it, in the format of src/db/pagination.ts (base64url of
 * `[sort value as ISO, id, "list.sortBy:DIRECTION"]`), which that module does not export. The row
 * comes through the entity, so startedAt is a Date on either database, as it is for the API.
 */
export async function cursorBefore(
  services: Services,
  organizationId: string,
  offset: number,
): Promise<{ after: string; firstId: string }> {
  const [before, first] = await services.db.reader
    .createQueryBuilder(Incident, 'i')
    .where('i.organizationId = :org', { org: organizationId })
    .andWhere('i.deletedAt IS NULL')
    .orderBy('i.startedAt', 'DESC')
    .addOrderBy('i.id', 'DESC')
    .offset(offset - 1)
    .limit(2)
    .getMany();
  const after = Buffer.from(
    JSON.stringify([before.startedAt.toISOString(), before.id, 'incidents.startedAt:DESC']),
  ).toString('base64url');
  return { after, firstId: first.id };
}
