import type { EntityManager } from 'typeorm';
import { Incident } from './incident.entity';
import { IncidentMonitor } from './incident-monitor.entity';

/**
 * Moves `updatedAt` of every live incident that lists one of these monitors: the monitors are
 * about to leave those incidents, and an incremental sync must see that the incidents changed.
 */
export async function touchIncidentsOfMonitors(
  manager: EntityManager,
  monitorIds: string[],
  now: Date,
): Promise<void> {
  if (monitorIds.length === 0) {
    return;
  }
  await manager
    .createQueryBuilder()
    .update(Incident)
    .set({ updatedAt: now })
    .where(
      `id IN (${manager
        .createQueryBuilder(IncidentMonitor, 'im')
        .select('im.incidentId')
        .where('im.monitorId IN (:...monitorIds)')
        .getQuery()})`,
    )
    .andWhere('deleted_at IS NULL')
    .setParameter('monitorIds', monitorIds)
    .execute();
}
