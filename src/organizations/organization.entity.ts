import { Field, ObjectType } from 'type-graphql';
import { ID } from '../graphql/id.scalar';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';

/** A tenant: every token, board and audit event belongs to exactly one organization. */
@ObjectType({ description: 'A tenant. A token sees only its own organization’s data.' })
@Entity('organization')
export class Organization {
  @Field(() => ID)
  @PrimaryColumn(ID_COLUMN)
  id!: string;

  @Field({ description: 'Display name; need not be unique.' })
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @TimestampColumn()
  createdAt!: Date;
}
