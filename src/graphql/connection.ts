import type { ClassType } from 'type-graphql';
import { Field, Int, ObjectType } from 'type-graphql';

// simpleResolvers on the types repeated per row of a page: graphql-js's own resolver reads each
// property, without type-graphql's per-field middleware runner (there are no field middlewares).
@ObjectType({
  description: 'Where a page ends and whether another follows.',
  simpleResolvers: true,
})
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Pass it as `after` to get the next page; null on an empty page.',
  })
  endCursor!: string | null;
}

/**
 * The cursor connection type of API.md section 6 for one node type: `nodes`, `edges`,
 * `pageInfo`, and `totalCount` (counted only when asked for).
 */
export function Connection<T extends object>(node: ClassType<T>) {
  @ObjectType(`${node.name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field({ description: 'Pass it as `after` to continue after this node.' })
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType()
  abstract class ConnectionType {
    @Field(() => [node])
    nodes!: T[];

    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, {
      description: 'All items that match the filter; counted only when asked for.',
    })
    totalCount!: number;
  }
  return ConnectionType;
}
