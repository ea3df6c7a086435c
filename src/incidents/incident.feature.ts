import type { BoardService } from '../boards/board.service';
import type { Feature } from '../core/feature';
import { resolver } from '../core/feature';
import type { MonitorService } from '../monitors/monitor.service';
import { BoardIncidentsResolver } from './board-incidents.resolver';
import { Incident } from './incident.entity';
import { IncidentMonitor } from './incident-monitor.entity';
import { IncidentResolver } from './incident.resolver';
import type { IncidentService } from './incident.service';
import { touchIncidentsOfMonitors } from './incident-touch';
import { IncidentUpdate } from './incident-update.entity';

interface IncidentServices {
  boards: BoardService;
  monitors: MonitorService;
  incidents: IncidentService;
}

/**
 * Incidents, their updates and monitor links, Board.incidents. A deleted monitor leaves its
 * incidents (which a sync must see change); a deleted board leaves its incidents as tombstones.
 */
export const incidentsFeature: Feature<IncidentServices> = {
  name: 'incidents',
  entities: [Incident, IncidentMonitor, IncidentUpdate],
  resolvers: [
    resolver(IncidentResolver, (s) => new IncidentResolver(s.incidents, s.boards)),
    resolver(BoardIncidentsResolver, (s) => new BoardIncidentsResolver(s.incidents)),
  ],
  auditTargets: ['Incident'],
  connect({ boards, monitors, incidents }) {
    monitors.onDelete(touchIncidentsOfMonitors);
    boards.onDelete((manager, actor, board, now) =>
      incidents.tombstoneOfBoard(manager, actor, board, now),
    );
  },
};
