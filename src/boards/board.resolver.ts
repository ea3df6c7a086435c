import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import type { RequestContext } from '../core/context';
import { PageArgsType } from '../graphql/page-args';
import type { Page } from '../db/pagination';
import { Board } from './board.entity';
import { BoardConnection, CreateBoardInput, UpdateBoardInput } from './board.inputs';
import type { BoardService } from './board.service';

@Resolver(() => Board)
export class BoardResolver {
  // Board.monitors and Board.incidents are resolved by monitors/ and incidents/, which stand above.
  constructor(private readonly service: BoardService) {}

  @Query(() => BoardConnection, { description: 'Boards, oldest first.' })
  boards(
    @Args(() => PageArgsType) page: PageArgsType,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Board>> {
    return this.service.list(ctx, page);
  }

  @Query(() => Board, {
    nullable: true,
    description: 'Null for an id that is not one of this organization’s boards.',
  })
  board(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Board | null> {
    return this.service.get(ctx, id);
  }

  @Mutation(() => Board)
  createBoard(
    @Arg('input', () => CreateBoardInput) input: CreateBoardInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Board> {
    return this.service.create(ctx, input);
  }

  @Mutation(() => Board)
  updateBoard(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateBoardInput) input: UpdateBoardInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Board> {
    return this.service.update(ctx, id, input);
  }

  @Mutation(() => ID, { description: 'Deletes the board and returns its id.' })
  deleteBoard(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<string> {
    return this.service.delete(ctx, id);
  }
}
