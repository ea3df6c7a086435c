import { Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN } from '../db/columns';

/**
 * One board a board-scoped token is limited to (API.md section 11). A board's deletion removes
 * its rows, so the list holds live boards only; `ApiToken.boardScoped` keeps an emptied list a
 * limit.
 */
@Entity('api_token_board')
@Index('IDX_api_token_board_board', ['boardId'])
export class ApiTokenBoard {
  @PrimaryColumn(ID_COLUMN)
  tokenId!: string;

  @PrimaryColumn(ID_COLUMN)
  boardId!: string;
}
