import { ArgsType, Field, Int } from 'type-graphql';
import type { PageArgs } from '../db/pagination';

/** `first` and `after` of every connection field. */
@ArgsType()
export class PageArgsType implements PageArgs {
  @Field(() => Int, { nullable: true, description: 'How many items, 0–1000; 50 when omitted.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string | null;
}
