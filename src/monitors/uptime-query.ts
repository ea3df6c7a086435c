import type { Actor } from '../core/context';
import { inBoardScope } from '../db/board-scope';
import type { Database } from '../db/database';
import { instantSql, laterSql, timestampParamSql, totalMsSql } from '../db/time-sql';
import { MonitorStatus } from './monitor-enums';
import { Monitor } from './monitor.entity';

/** Milliseconds a monitor spent in each status, and the status events read to find them. */
export interface UptimeSums {
  up: number;
  warn: number;
  down: number;
  maintenance: number;
  unknown: number;
  /** Events inside the window, plus one for the event the starting status came from. */
  eventsRead: number;
}

interface UptimeRow {
  monitor_id: string;
  up_ms: string | number;
  warn_ms: string | number;
  down_ms: string | number;
  maintenance_ms: string | number;
  unknown_ms: string | number;
  stretches: string | number;
}

/** The bucket of each status; anything else (UNKNOWN) is counted as unknown. */
const BUCKETS = [
  ['up_ms', MonitorStatus.UP],
  ['warn_ms', MonitorStatus.WARN],
  ['down_ms', MonitorStatus.DOWN],
  ['maintenance_ms', MonitorStatus.MAINTENANCE],
] as const;

/**
 * The uptime sums of many monitors over one window, in one statement. Each monitor's window runs
 * from the later of `since` and its creation to `until`. It starts in the status of the last event
 * at or before its start; without one, in the previousStatus of the first event after it; without
 * any event, in the monitor's status. Each event then holds until the next (ties of recordedAt
 * ordered by id, as lists order them: the stretch between is 0 ms) or until `until`; LEAD
 * measures each stretch and the sums are taken per monitor and status.
 */
export async function uptimeSums(
  db: Database,
  actor: Actor,
  monitorIds: readonly string[],
  since: Date,
  until: Date,
): Promise<Map<string, UptimeSums>> {
  const windows = db.reader
    .createQueryBuilder(Monitor, 'm')
    .select('m.id', 'monitor_id')
    .addSelect(laterSql(db, 'm.createdAt', timestampParamSql(db, 'uptimeSince')), 'since_at')
    .addSelect(timestampParamSql(db, 'uptimeUntil'), 'until_at')
    .addSelect('m.status', 'current_status')
    .where('m.organizationId = :org', { org: actor.organization.id })
    .andWhere('m.id IN (:...uptimeIds)', { uptimeIds: [...monitorIds] })
    .setParameters({ uptimeSince: db.timestamp(since), uptimeUntil: db.timestamp(until) });
  inBoardScope(windows, actor, 'm.boardId');
  const [windowSql, parameters] = windows.getQueryAndParameters();
  const rows: UptimeRow[] = await db.reader.query(uptimeSql(db, windowSql), parameters);
  return new Map(
    rows.map((row) => [
      String(row.monitor_id),
      {
        up: Number(row.up_ms),
        warn: Number(row.warn_ms),
        down: Number(row.down_ms),
        maintenance: Number(row.maintenance_ms),
        unknown: Number(row.unknown_ms),
        eventsRead: Number(row.stretches),
      },
    ]),
  );
}

/** The statement over `windowSql` (a monitor's id, since_at, until_at and current_status). */
function uptimeSql(db: Database, windowSql: string): string {
  const instant = (timestamp: string) => instantSql(db, timestamp);
  const total = (condition: string) =>
    totalMsSql(db, `SUM(CASE WHEN ${condition} THEN elapsed END)`);
  const sums = BUCKETS.map(([name, status]) => `${total(`status = '${status}'`)} AS ${name}`);
  const known = BUCKETS.map(([, status]) => `'${status}'`).join(', ');
  return `
    WITH w AS (${windowSql}),
    points AS (
      SELECT w.monitor_id, ${instant('w.since_at')} AS at, CAST('' AS VARCHAR(36)) AS event_id,
        COALESCE(
          (SELECT b.status FROM status_event b
            WHERE b.monitor_id = w.monitor_id AND b.recorded_at <= w.since_at
            ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1),
          (SELECT f.previous_status FROM status_event f
            WHERE f.monitor_id = w.monitor_id AND f.recorded_at > w.since_at
            ORDER BY f.recorded_at, f.id LIMIT 1),
          w.current_status) AS status,
        ${instant('w.until_at')} AS until_at
      FROM w
      UNION ALL
      SELECT w.monitor_id, ${instant('e.recorded_at')}, e.id, e.status, ${instant('w.until_at')}
      FROM w JOIN status_event e ON e.monitor_id = w.monitor_id
        AND e.recorded_at > w.since_at AND e.recorded_at < w.until_at
    ),
    stretches AS (
      SELECT monitor_id, status,
        LEAD(at, 1, until_at) OVER (PARTITION BY monitor_id ORDER BY at, event_id) - at AS elapsed
      FROM points
    )
    SELECT monitor_id, ${sums.join(', ')},
      ${total(`status NOT IN (${known})`)} AS unknown_ms,
      COUNT(*) AS stretches
    FROM stretches GROUP BY monitor_id`;
}
