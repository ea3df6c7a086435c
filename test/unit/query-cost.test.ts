import { readFileSync } from 'node:fs';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  buildSchema,
  parse,
  validate,
} from 'graphql';
import { operationCost } from '../../src/limits/query-cost';

const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));

function costOf(document: DocumentNode, variables: Record<string, unknown> = {}): number {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  if (!operation) {
    throw new Error('no operation in the document');
  }
  return operationCost(operation.selectionSet, schema.getQueryType() ?? undefined, {
    schema,
    fragments,
    variables,
  });
}

/** GraphQL Armor's own figure for a document, read from its refusal at a limit of 0. */
function armorCostOf(document: DocumentNode): number {
  let found = Number.NaN;
  validate(schema, document, [
    costLimitRule({
      maxCost: 0,
      propagateOnRejection: false,
      onReject: [
        (_context, error) => (found = Number(/found ([\d.e+]+?)\.?$/.exec(error.message)?.[1])),
      ],
    }),
  ]);
  return found;
}

const BI_PAGE = `{ incidents(first: 1000) { totalCount edges { cursor node {
  id name details severity phase startedAt resolvedAt willStartAt willEndAt createdAt updatedAt
  board { id name } updates { id message phase createdAt }
  monitors { id displayName monitorType status paused host url serviceName checkIntervalMinutes
    lastCheckedAt createdAt updatedAt board { id name } } } } pageInfo { hasNextPage endCursor } } }`;

describe('operationCost', () => {
  it.each([
    ['the BI export page', BI_PAGE],
    [
      'a list nested in a list',
      '{ boards(first: 1000) { nodes { incidents(first: 1000) { nodes { id name } } } } }',
    ],
    ['two small root fields', '{ viewer { token { id } } a: viewer { token { id name } } }'],
  ])('equals GraphQL Armor’s cost for %s with literal arguments', (_name, query) => {
    const document = parse(query);
    expect(armorCostOf(document)).toBeGreaterThan(0);
    expect(costOf(document)).toBe(armorCostOf(document));
  });

  it('multiplies by `first` passed as a variable, which Armor counts as 1', () => {
    const withVariable = parse(
      'query($n: Int) { boards(first: $n) { nodes { incidents(first: $n) { nodes { id name } } } } }',
    );
    const literal = parse(
      '{ boards(first: 1000) { nodes { incidents(first: 1000) { nodes { id name } } } } }',
    );
    expect(costOf(withVariable, { n: 1000 })).toBe(costOf(literal));
    expect(armorCostOf(withVariable)).toBeLessThan(costOf(withVariable, { n: 1000 }) / 1000);
  });

  it('counts a left-out `first` as the default page of 50', () => {
    expect(costOf(parse('{ incidents { nodes { id } } }'))).toBe(
      costOf(parse('{ incidents(first: 50) { nodes { id } } }')),
    );
    expect(costOf(parse('query($n: Int) { incidents(first: $n) { nodes { id } } }'), {})).toBe(
      costOf(parse('{ incidents(first: 50) { nodes { id } } }')),
    );
  });

  it('counts the selections of fragments where they are spread, and ignores introspection', () => {
    const spread = parse(
      'query { incidents(first: 10) { nodes { ...F } } } fragment F on Incident { id name monitors { id } }',
    );
    const inline = parse('{ incidents(first: 10) { nodes { id name monitors { id } } } }');
    expect(costOf(spread)).toBe(costOf(inline));
    expect(costOf(parse('{ __schema { types { name fields { name } } } }'))).toBe(0);
  });
});
