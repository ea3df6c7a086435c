import type { Feature } from '../core/feature';
import { resolver } from '../core/feature';
import type { ApiTokenService } from '../tokens/api-token.service';
import { ApiTokenBoardsResolver } from './api-token-boards.resolver';
import { Board } from './board.entity';
import { BoardResolver } from './board.resolver';
import type { BoardService } from './board.service';

interface BoardServices {
  boards: BoardService;
  tokens: ApiTokenService;
}

/**
 * Boards, and the boards a token is limited to (ApiToken.boards); what hangs off a board
 * registers on `BoardService.onDelete`. A deleted board leaves every token's scope.
 */
export const boardsFeature: Feature<BoardServices> = {
  name: 'boards',
  entities: [Board],
  resolvers: [
    resolver(BoardResolver, (s) => new BoardResolver(s.boards)),
    resolver(ApiTokenBoardsResolver, (s) => new ApiTokenBoardsResolver(s.tokens, s.boards)),
  ],
  auditTargets: ['Board'],
  connect({ boards, tokens }) {
    tokens.checkScopeBoardsWith((manager, organizationId, ids) =>
      boards.assertLive(manager, organizationId, ids),
    );
    boards.onDelete((manager, _actor, board) => tokens.removeBoardFromScopes(manager, board.id));
  },
};
