import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    'This token’s cost budget (API.md section 9) after the charge of the operation asking.',
})
export class RateLimit {
  @Field(() => Int, { description: 'The requested cost of the operation this field is part of.' })
  cost!: number;

  @Field(() => Int, { description: 'Points the budget holds when full (maximumAvailable).' })
  limit!: number;

  @Field(() => Int, {
    description:
      'Points left once this operation’s requested cost was reserved (what it does not use comes back when it ends).',
  })
  remaining!: number;

  @Field(() => Date, { description: 'When the budget will be full again.' })
  resetAt!: Date;

  @Field(() => Int, { description: 'Points a second the budget refills.' })
  restoreRate!: number;
}

@ObjectType({ description: 'The estimate of a document, for this token; nothing was run.' })
export class QueryCost {
  @Field(() => Int, { description: 'What the operation would reserve from the budget.' })
  requestedQueryCost!: number;

  @Field(() => Int)
  maximumAvailable!: number;

  @Field(() => Int, { description: 'Points this token has now.' })
  currentlyAvailable!: number;
}
