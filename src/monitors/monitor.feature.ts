import type { BoardService } from '../boards/board.service';
import type { Clock } from '../core/clock';
import type { Feature } from '../core/feature';
import type { Database } from '../db/database';
import { resolver } from '../core/feature';
import { BoardMonitorsResolver } from './board-monitors.resolver';
import { Monitor } from './monitor.entity';
import { MonitorResolver, StatusEventResolver } from './monitor.resolver';
import { MonitorUptimeResolver } from './monitor-uptime.resolver';
import { MonitorUptimeService } from './monitor-uptime.service';
import type { MonitorService } from './monitor.service';
import { StatusEvent } from './status-event.entity';

interface MonitorServices {
  db: Database;
  clock: Clock;
  boards: BoardService;
  monitors: MonitorService;
}

/** Monitors and their status history, Board.monitors; a board's monitors go with it. */
export const monitorsFeature: Feature<MonitorServices> = {
  name: 'monitors',
  entities: [Monitor, StatusEvent],
  resolvers: [
    resolver(MonitorResolver, (s) => new MonitorResolver(s.monitors, s.boards)),
    resolver(StatusEventResolver, (s) => new StatusEventResolver(s.monitors)),
    resolver(BoardMonitorsResolver, (s) => new BoardMonitorsResolver(s.monitors)),
    resolver(
      MonitorUptimeResolver,
      (s) => new MonitorUptimeResolver(new MonitorUptimeService(s.db, s.clock)),
    ),
  ],
  auditTargets: ['Monitor'],
  connect({ boards, monitors }) {
    boards.onDelete((manager, actor, board, now) =>
      monitors.deleteOfBoard(manager, actor, board, now),
    );
  },
};
