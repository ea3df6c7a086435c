import { readFileSync } from 'node:fs';
import {
  Kind,
  type OperationDefinitionNode,
  buildSchema,
  execute,
  getIntrospectionQuery,
  parse,
} from 'graphql';
import { DEFAULT_LIMITS } from '../../src/core/config';
import { estimateCost } from '../../src/limits/query-cost';

const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));

function costOf(query: string, variables: Record<string, unknown> = {}): number {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (!operation) {
    throw new Error('no operation in the document');
  }
  return estimateCost(schema, document, operation, variables);
}

/** API.md section 9: a point per statement and per row, nested connections per parent. */
describe('estimateCost', () => {
  it('costs at least 1: a viewer reads nothing, rateLimit and queryCost neither', () => {
    expect(costOf('{ viewer { permission token { id name } } }')).toBe(1);
    expect(costOf('{ rateLimit { cost remaining } }')).toBe(1);
    expect(
      costOf('{ queryCost(query: "{ boards { nodes { id } } }") { requestedQueryCost } }'),
    ).toBe(1);
  });

  it('with a base: every request pays it once, a request for queryCost alone exactly 1', () => {
    const priced = (query: string) => {
      const document = parse(query);
      const operation = document.definitions[0] as OperationDefinitionNode;
      return estimateCost(schema, document, operation, {}, 500);
    };
    expect(priced('{ viewer { permission } }')).toBe(500);
    expect(priced('{ __typename }')).toBe(500);
    expect(priced('{ boards(first: 10) { nodes { id } } }')).toBe(500 + 12);
    expect(priced('{ queryCost(query: "{ viewer { permission } }") { requestedQueryCost } }')).toBe(
      1,
    );
    expect(
      priced('{ __typename a: queryCost(query: "{ __typename }") { requestedQueryCost } }'),
    ).toBe(1);
    expect(
      priced('{ viewer { permission } queryCost(query: "{ __typename }") { requestedQueryCost } }'),
    ).toBe(500);
  });

  it('a connection: its statement and first + 1 rows (the row that tells a page follows)', () => {
    expect(costOf('{ boards(first: 10) { nodes { id } } }')).toBe(1 + 11);
    // `first` left out is the default page of 50, as a variable or not.
    expect(costOf('{ boards { nodes { id } } }')).toBe(1 + 51);
    expect(costOf('query($n: Int) { boards(first: $n) { nodes { id } } }')).toBe(1 + 51);
    expect(costOf('query($n: Int = 1000) { boards(first: $n) { nodes { id } } }')).toBe(1 + 1001);
    expect(costOf('query($n: Int) { boards(first: $n) { nodes { id } } }', { n: 7 })).toBe(1 + 8);
  });

  it('a nested connection costs its statement and page for every parent', () => {
    const nested = '{ boards(first: 10) { nodes { monitors(first: 5) { nodes { id } } } } }';
    expect(costOf(nested)).toBe(12 + 10 * (1 + 6));
  });

  it('first: 0 and totalCount still cost their statement per parent: the amplification of issue 13', () => {
    const aliases = (n: number) =>
      Array.from({ length: n }, (_, i) => `m${i}: monitors(first: 0) { totalCount }`).join(' ');
    const one = costOf(`{ boards(first: 1000) { nodes { ${aliases(1)} } } }`);
    const thirty = costOf(`{ boards(first: 1000) { nodes { ${aliases(30)} } } }`);
    // The page (1 + 1001); per board and alias: the page statement and its look-ahead row, the
    // count's statement and its row.
    expect(one).toBe(1002 + 1000 * 4);
    expect(thirty).toBe(1002 + 30 * 1000 * 4);
  });

  it('plain lists at their bound per parent, loaded objects a row per parent, a statement per level', () => {
    expect(costOf('{ incidents(first: 100) { nodes { updates { id } } } }')).toBe(
      102 + 1 + 100 * 10,
    );
    expect(costOf('{ incidents(first: 100) { nodes { monitors { id } } } }')).toBe(
      102 + 1 + 100 * 50,
    );
    expect(costOf('{ incidents(first: 100) { nodes { board { id } } } }')).toBe(102 + 1 + 100);
    // The monitors' boards: 5000 parents, 1000 to a statement.
    expect(costOf('{ incidents(first: 100) { nodes { monitors { board { id } } } } }')).toBe(
      102 + 1 + 100 * 50 + 5 + 5000,
    );
    expect(costOf('{ monitors(first: 10) { nodes { requestHeaders { name } } } }')).toBe(
      12 + 1 + 10 * 20,
    );
  });

  it('Monitor.uptime: a statement per level, its row and 100 status events per monitor', () => {
    const uptime = 'uptime(since: "2026-01-01T00:00:00.000Z") { upPercent downSeconds }';
    expect(costOf(`{ monitors(first: 1000) { nodes { ${uptime} } } }`)).toBe(1002 + 1 + 1000 * 101);
    expect(costOf(`query($id: ID!) { monitor(id: $id) { ${uptime} } }`)).toBe(2 + 1 + 101);
  });

  it('a lookup by id is its statement and its row; a mutation its own work plus its selection', () => {
    expect(costOf('{ board(id: "x") { id name } }')).toBe(2);
    expect(costOf('{ board(id: "x") { monitors(first: 3) { nodes { id } } } }')).toBe(2 + 5);
    // createBoard's own work is 6 (mutation-cost.ts).
    expect(costOf('mutation { createBoard(input: { name: "x" }) { id } }')).toBe(6);
    expect(
      costOf('mutation { createBoard(input: { name: "x" }) { incidents { totalCount } } }'),
    ).toBe(6 + 52 + 2);
    // updateIncident's own work is 10; a row for every id a list argument names, as a literal
    // or in a variable.
    expect(
      costOf('mutation($m: [ID!]) { updateIncident(id: "i", input: { monitorIds: $m }) { id } }', {
        m: ['a', 'b', 'c'],
      }),
    ).toBe(10 + 3);
  });

  it('counts the selections of fragments where they are spread', () => {
    const spread =
      'query { incidents(first: 10) { nodes { ...F } } } fragment F on Incident { id name monitors { id } }';
    const inline = '{ incidents(first: 10) { nodes { id name monitors { id } } } }';
    expect(costOf(spread)).toBe(costOf(inline));
    expect(
      costOf(
        '{ incidents(first: 10) { ...C } } fragment C on IncidentConnection { totalCount nodes { id } }',
      ),
    ).toBe(costOf('{ incidents(first: 10) { totalCount nodes { id } } }'));
  });

  it('a fragment spread 2^n times is reckoned once per number of parents', () => {
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Board { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    const query = `{ boards(first: 2) { nodes { ...F0 } } } ${fragments} fragment F${levels} on Board { id }`;
    expect(costOf(query)).toBe(1 + 3);
  });
});

/** Every object in an execution result below `data` (each list item, each nested object). */
function objectsIn(value: unknown): number {
  if (Array.isArray(value)) {
    return value.reduce<number>(
      (sum, item) => sum + (item !== null && typeof item === 'object' ? 1 : 0) + objectsIn(item),
      0,
    );
  }
  if (value !== null && typeof value === 'object') {
    return Object.values(value).reduce<number>(
      (sum, item) =>
        sum +
        (item !== null && typeof item === 'object' && !Array.isArray(item) ? 1 : 0) +
        objectsIn(item),
      0,
    );
  }
  return 0;
}

/** Issue 13's probe: introspection walks the schema, and is priced by what it walks. */
describe('estimateCost of introspection', () => {
  const walked = (query: string) => {
    const result = execute({ schema, document: parse(query) });
    expect(result).not.toHaveProperty('then');
    return objectsIn((result as { data: unknown }).data);
  };

  it.each([
    ['GraphiQL’s introspection query', getIntrospectionQuery()],
    [
      'a walk of every argument type',
      '{ __schema { types { fields { args { type { ofType { ofType { name } } } } } } } }',
    ],
    [
      'one type',
      '{ __type(name: "Incident") { name fields { name type { name ofType { name } } } } }',
    ],
    ['an unknown type', '{ __type(name: "Nope") { name fields { name } } }'],
    ['__typename alone', '{ __typename }'],
  ])('%s: a point for every object it builds', (_name, query) => {
    expect(costOf(query)).toBe(Math.max(1, walked(query)));
  });

  it('thirty aliased walks cost thirty walks', () => {
    const walk = '__schema { types { fields { args { type { ofType { ofType { name } } } } } } }';
    const thirty = `{ ${Array.from({ length: 30 }, (_, i) => `w${i}: ${walk}`).join(' ')} }`;
    expect(costOf(thirty)).toBe(30 * costOf(`{ ${walk} }`));
    expect(costOf(thirty)).toBe(walked(thirty));
  });

  it('a walk that grows with every level is priced as it grows', () => {
    const level = (depth: number): string =>
      depth === 0 ? 'name' : `fields { type { ofType { ofType { ${level(depth - 1)} } } } }`;
    const shallow = `{ __schema { types { ${level(3)} } } }`;
    expect(costOf(shallow)).toBe(walked(shallow));
    // Twelve levels: more than the default bucket, refused before it runs.
    expect(costOf(`{ __schema { types { ${level(12)} } } }`)).toBeGreaterThan(
      DEFAULT_LIMITS.costBucketSize,
    );
  });
});
