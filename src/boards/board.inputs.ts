import { Field, InputType, ObjectType } from 'type-graphql';
import { Connection } from '../graphql/connection';
import { Board } from './board.entity';

@InputType()
export class CreateBoardInput implements Partial<Board> {
  @Field({ description: '1–100 characters.' })
  name!: string;
}

@InputType({ description: 'Changes to a board; omitted fields stay as they are.' })
export class UpdateBoardInput implements Partial<Board> {
  @Field({ nullable: true, description: '1–100 characters.' })
  name?: string;
}

@ObjectType({ description: 'A page of boards, oldest first (by createdAt, then id).' })
export class BoardConnection extends Connection(Board) {}
