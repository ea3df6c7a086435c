import { Field, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';

/** A board groups monitors and incidents; the first resource a token guards. */
@ObjectType({ description: 'A board of monitors and incidents.' })
@Entity('board')
@Index(['organizationId', 'createdAt', 'id'])
export class Board {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Column(ID_COLUMN)
  organizationId!: string;

  @Field({ description: '1–100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Field(() => Date)
  @TimestampColumn()
  createdAt!: Date;

  @Field(() => Date)
  @TimestampColumn()
  updatedAt!: Date;

  /** Deleted boards are hidden everywhere; the row stays for the tombstones of its incidents. */
  @TimestampColumn({ nullable: true })
  deletedAt!: Date | null;
}
