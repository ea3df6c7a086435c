import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context';
import { ApiToken } from '../tokens/api-token.entity';
import type { ApiTokenService } from '../tokens/api-token.service';
import { Board } from './board.entity';
import type { BoardService } from './board.service';

/** ApiToken.boards: here, not in tokens/, because tokens/ stands below boards/. */
@Resolver(() => ApiToken)
export class ApiTokenBoardsResolver {
  constructor(
    private readonly tokens: ApiTokenService,
    private readonly boardService: BoardService,
  ) {}

  @FieldResolver(() => [Board], {
    nullable: true,
    description:
      'The boards this token is limited to, oldest first; null: every board of the organization. A token whose last board was deleted keeps an empty list and sees nothing.',
  })
  async boards(@Root() token: ApiToken, @Ctx() ctx: RequestContext): Promise<Board[] | null> {
    const ids = await this.tokens.scopeOf(ctx, token);
    if (ids === null) {
      return null;
    }
    const boards = await Promise.all(ids.map((id) => this.boardService.load(ctx, id)));
    return boards
      .filter((board): board is Board => board !== null && board.deletedAt === null)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }
}
