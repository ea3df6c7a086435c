import { execute, parse } from 'graphql';
import {
  Field,
  FieldResolver,
  ID,
  ObjectType,
  Query,
  Resolver,
  Root,
  buildSchema,
} from 'type-graphql';
import { JoinedFrom, readJoinedFirst } from '../../src/graphql/joined-field';

@ObjectType()
class Owner {
  @Field()
  name!: string;
}

@ObjectType()
class Item {
  @Field(() => ID)
  id!: string;

  /** What a list row would carry, read with its page. */
  joinedOwner?: Owner | null;
}

/** Each call of the owner resolver, by item id. */
const calls: string[] = [];

@Resolver(() => Item)
class ItemResolver {
  @Query(() => [Item])
  items(): Item[] {
    return [
      { id: 'joined', joinedOwner: { name: 'from the row' } },
      { id: 'entity' },
      { id: 'null', joinedOwner: null },
    ];
  }

  @FieldResolver(() => Owner)
  @JoinedFrom<Item>('joinedOwner')
  owner(@Root() item: Item): Owner {
    calls.push(item.id);
    return { name: `resolved for ${item.id}` };
  }
}

describe('fields a list row may carry joined', () => {
  it('answers from the row without calling the resolver, and calls it for parents without', async () => {
    const schema = readJoinedFirst(
      await buildSchema({ resolvers: [ItemResolver], validate: false }),
    );
    calls.length = 0;
    const result = await execute({ schema, document: parse('{ items { id owner { name } } }') });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      items: [
        { id: 'joined', owner: { name: 'from the row' } },
        { id: 'entity', owner: { name: 'resolved for entity' } },
        { id: 'null', owner: { name: 'resolved for null' } },
      ],
    });
    expect(calls).toEqual(['entity', 'null']);
  });

  it('leaves the resolver alone on a schema not passed through readJoinedFirst', async () => {
    const schema = await buildSchema({ resolvers: [ItemResolver], validate: false });
    calls.length = 0;
    const result = await execute({ schema, document: parse('{ items { owner { name } } }') });
    expect(result.errors).toBeUndefined();
    expect(calls).toEqual(['joined', 'entity', 'null']);
  });
});
