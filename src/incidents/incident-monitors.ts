import { In } from 'typeorm';
import type { Actor } from '../core/context';
import { boardScopeWhere, inBoardScope } from '../db/board-scope';
import type { Database } from '../db/database';
import { Monitor } from '../monitors/monitor.entity';
import { IncidentMonitor } from './incident-monitor.entity';

/**
 * The monitors an incident affects, by displayName, batched per request (one query for a page of
 * incidents). Here, not in monitors/: the links are incidents' table, and monitors/ stands below.
 */
export function monitorsOfIncident(
  db: Database,
  actor: Actor,
  incidentId: string,
): Promise<Monitor[]> {
  return actor.loaders
    .get<Monitor[]>(
      'monitor.byIncident',
      (incidentIds) => monitorsByIncident(db, actor, incidentIds),
      [],
    )
    .load(incidentId);
}

/**
 * The monitors of each of `incidentIds` that the actor sees, by displayName. Two queries for any
 * number of incidents: their links, then the monitors linked.
 */
export async function monitorsByIncident(
  db: Database,
  actor: Actor,
  incidentIds: readonly string[],
): Promise<Map<string, Monitor[]>> {
  if (incidentIds.length === 0) {
    return new Map();
  }
  // The links raw: a page of 1000 incidents has thousands, and hydrating each as an entity cost
  // more CPU than the rest of the page (event-loop time every other request waits behind).
  const links = await db.readMany<{ incidentId: string; monitorId: string }>(
    'SELECT incident_id AS "incidentId", monitor_id AS "monitorId" FROM incident_monitor WHERE incident_id IN (:...incidentIds)',
    { incidentIds: [...incidentIds] },
    ['incidentId', 'monitorId'],
  );
  const monitorIds = [...new Set(links.map((link) => link.monitorId))];
  const monitors = new Map(
    (monitorIds.length === 0
      ? []
      : await db.reader.find(Monitor, {
          where: {
            id: In(monitorIds),
            organizationId: actor.organization.id,
            // Only the monitors of boards in a scoped token's scope.
            ...boardScopeWhere(actor, 'boardId'),
          },
          order: { displayName: 'ASC', id: 'ASC' },
        })
    ).map((monitor, rank) => [monitor.id, { monitor, rank }]),
  );
  const byIncident = new Map<string, Monitor[]>();
  for (const link of links) {
    const found = monitors.get(link.monitorId);
    if (found) {
      const list = byIncident.get(link.incidentId);
      if (list) {
        list.push(found.monitor);
      } else {
        byIncident.set(link.incidentId, [found.monitor]);
      }
    }
  }
  const rankOf = (monitor: Monitor) => monitors.get(monitor.id)?.rank ?? 0;
  byIncident.forEach((list) => list.sort((a, b) => rankOf(a) - rankOf(b)));
  return byIncident;
}

/**
 * The ids of the monitors each of `incidentIds` affects, by displayName as `Incident.monitors`
 * lists them (only monitors of boards in a scoped token's scope), in one statement: an export's
 * `monitorIds` for a page of incidents.
 */
export async function monitorIdsOfIncidents(
  db: Database,
  actor: Actor,
  incidentIds: readonly string[],
): Promise<Map<string, string[]>> {
  const byIncident = new Map<string, string[]>();
  if (incidentIds.length === 0) {
    return byIncident;
  }
  const query = db.reader
    .createQueryBuilder(IncidentMonitor, 'im')
    .innerJoin(Monitor, 'm', 'm.id = im.monitorId')
    .select('im.incidentId', 'incidentId')
    .addSelect('m.id', 'monitorId')
    .where('im.incidentId IN (:...incidentIds)', { incidentIds: [...incidentIds] })
    .andWhere('m.organizationId = :org', { org: actor.organization.id });
  inBoardScope(query, actor, 'm.boardId');
  const links = await query
    .orderBy('m.displayName', 'ASC')
    .addOrderBy('m.id', 'ASC')
    .getRawMany<{ incidentId: string; monitorId: string }>();
  for (const { incidentId, monitorId } of links) {
    const ids = byIncident.get(incidentId);
    if (ids) {
      ids.push(monitorId);
    } else {
      byIncident.set(incidentId, [monitorId]);
    }
  }
  return byIncident;
}
