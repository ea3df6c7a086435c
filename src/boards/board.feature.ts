import type { Feature } from '../core/feature';
import { resolver } from '../core/feature';
import { Board } from './board.entity';
import { BoardResolver } from './board.resolver';
import type { BoardService } from './board.service';

/** Boards; what hangs off a board registers on `BoardService.onDelete`. */
export const boardsFeature: Feature<{ boards: BoardService }> = {
  name: 'boards',
  entities: [Board],
  resolvers: [resolver(BoardResolver, (s) => new BoardResolver(s.boards))],
  auditTargets: ['Board'],
};
