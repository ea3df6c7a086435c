import type { BoardService } from '../boards/board.service';
import type { Feature } from '../core/feature';
import { resolver } from '../core/feature';
import { BoardMonitorsResolver } from './board-monitors.resolver';
import { Monitor } from './monitor.entity';
import { MonitorResolver, StatusEventResolver } from './monitor.resolver';
import type { MonitorService } from './monitor.service';
import { StatusEvent } from './status-event.entity';

interface MonitorServices {
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
  ],
  auditTargets: ['Monitor'],
  connect({ boards, monitors }) {
    boards.onDelete((manager, actor, board, now) =>
      monitors.deleteOfBoard(manager, actor, board, now),
    );
  },
};
