import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  getNamedType,
  getNullableType,
  getVariableValues,
  isInterfaceType,
  isListType,
  isObjectType,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageSize } from '../db/pagination';
import { introspectionCost } from './introspection-cost';
import { mutationCost } from './mutation-cost';

/**
 * API.md section 9's estimate, in points: a point is one SQL statement or one row read, which is
 * what `actualQueryCost` counts while the operation runs (db/cost-meter.ts). The estimate is an
 * upper bound of that count wherever the data keeps to its documented bounds.
 */
export const COST = {
  /** Every request costs at least this (API.md section 9); `queryCost` alone costs exactly this. */
  minimum: 1,
  /** A single object fetched by id at the root (`board(id:)`): its statement and its row. */
  rootLookup: 2,
  /** Rows read per DataLoader statement (core/loaders.ts batches at most this many keys). */
  batch: 1000,
} as const;

/**
 * Nested fields read through a per-request DataLoader (one statement per level, `batch` parents
 * a statement), with the rows each parent may read: one for an object, the documented bound for a
 * small plain list (an incident names at most 50 monitors, a monitor has at most 20 request
 * headers, `Incident.updates` is estimated at 10 and counted as read).
 */
const LOADED_PER_PARENT: Readonly<Record<string, number>> = {
  'Incident.board': 1,
  'Monitor.board': 1,
  'StatusEvent.monitor': 1,
  'Incident.monitors': 50,
  'Incident.updates': 10,
  'Monitor.requestHeaders': 20,
  // Its row and the status events of its window, unknown before it runs: estimated at 100 (a
  // change a day over 90 days, with room); counted as read (monitors/monitor-uptime.service.ts).
  'Monitor.uptime': 1 + 100,
};

/** Root fields answered from the request itself, reading nothing. */
const FREE_ROOT_FIELDS: ReadonlySet<string> = new Set(['viewer', 'rateLimit', 'queryCost']);

/** The root fields that walk the schema (`__typename` only names the object it sits in). */
const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type']);

/** A plain list not listed above: as many rows as a default page, per parent. */
const UNKNOWN_LIST_BOUND = DEFAULT_PAGE_SIZE;

interface CostInput {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  /** The request's variables as coerced for execution: defaults of the document included. */
  variables: Record<string, unknown>;
  /**
   * true: a `first` out of range is refused as the list would refuse it when it runs
   * (`queryCost` prices only documents that can run); false: it counts as the bound.
   */
  strictPages?: boolean;
  /**
   * Each fragment's cost under a number of parents, reckoned once: a fragment spread twice by one
   * spread twice by … would otherwise be walked 2^n times (a 900-character document, seconds).
   */
  fragmentCosts?: Map<string, number>;
}

/**
 * `first` as the list will read it: its default when left out, out of range as 1000 (the list
 * refuses it when it runs) or, `strict`, refused now in the list's own words (`pageSize`).
 */
function firstOf(value: ValueNode | undefined, input: CostInput): number {
  let first: unknown = null;
  if (value?.kind === Kind.INT) {
    first = Number(value.value);
  } else if (value?.kind === Kind.VARIABLE) {
    first = input.variables[value.name.value];
  }
  if (typeof first !== 'number' || !Number.isInteger(first)) {
    return DEFAULT_PAGE_SIZE;
  }
  if (input.strictPages) {
    return pageSize(first);
  }
  return first < 0 ? 0 : Math.min(first, MAX_PAGE_SIZE);
}

const isConnection = (type: GraphQLNamedType): boolean =>
  isObjectType(type) && type.name.endsWith('Connection') && 'nodes' in type.getFields();

const statementsFor = (parents: number): number => Math.ceil(parents / COST.batch);

function fieldOf(parent: GraphQLNamedType | undefined, name: string) {
  return parent && (isObjectType(parent) || isInterfaceType(parent))
    ? (parent.getFields()[name] as GraphQLField<unknown, unknown> | undefined)
    : undefined;
}

const isList = (type: GraphQLType): boolean => isListType(getNullableType(type));

/**
 * The points `selectionSet` may cost when it is resolved for `parents` objects of type `parent`:
 * a connection its statement and `first` + 1 rows (the extra row tells whether a page follows)
 * for every parent, its `totalCount` a statement and a row for every parent, whatever `first`
 * is; the nodes' own selection for `parents × first` objects.
 */
export function selectionCost(
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
  parents: number,
  input: CostInput,
  seen: ReadonlySet<string> = new Set(),
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (INTROSPECTION_ROOTS.has(name) && parent === input.schema.getQueryType()) {
        // Introspection reads no rows, but builds an object for everything it walks.
        cost += parents * introspectionCost(selection, input);
        continue;
      }
      const field = fieldOf(parent, name);
      if (!field || name.startsWith('__')) {
        // `__typename`: the name of the object already counted.
        continue;
      }
      cost += fieldCost(
        field,
        selection.arguments,
        selection.selectionSet,
        parent,
        parents,
        input,
        seen,
      );
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? input.schema.getType(selection.typeCondition.name.value)
        : parent;
      cost += selectionCost(selection.selectionSet, type ?? undefined, parents, input, seen);
    } else {
      const name = selection.name.value;
      const fragment = input.fragments.get(name);
      const costs = (input.fragmentCosts ??= new Map<string, number>());
      const key = `${name}×${parents}`;
      let fragmentCost = costs.get(key);
      if (fragmentCost === undefined && fragment && !seen.has(name)) {
        const type = input.schema.getType(fragment.typeCondition.name.value) ?? undefined;
        fragmentCost = selectionCost(
          fragment.selectionSet,
          type,
          parents,
          input,
          new Set([...seen, name]),
        );
        costs.set(key, fragmentCost);
      }
      cost += fragmentCost ?? 0;
    }
  }
  return cost;
}

function fieldCost(
  field: GraphQLField<unknown, unknown>,
  args: readonly { name: { value: string }; value: ValueNode }[] | undefined,
  selectionSet: SelectionSetNode | undefined,
  parent: GraphQLNamedType | undefined,
  parents: number,
  input: CostInput,
  seen: ReadonlySet<string>,
): number {
  const type = getNamedType(field.type);
  const key = `${parent?.name}.${field.name}`;
  const inner = (perParent: number, of: GraphQLNamedType = type) =>
    selectionSet ? selectionCost(selectionSet, of, parents * perParent, input, seen) : 0;
  if (isConnection(type)) {
    const first = firstOf(args?.find((arg) => arg.name.value === 'first')?.value, input);
    return (
      parents * (1 + first + 1) +
      (selectionSet ? connectionCost(selectionSet, type, parents, first, input, seen) : 0)
    );
  }
  const loaded = LOADED_PER_PARENT[key];
  if (loaded !== undefined) {
    return statementsFor(parents) + parents * loaded + inner(loaded);
  }
  if (parent === input.schema.getQueryType()) {
    return (FREE_ROOT_FIELDS.has(field.name) ? 0 : COST.rootLookup) + inner(1);
  }
  if (parent === input.schema.getMutationType()) {
    return mutationCost(field.name, args, input.variables) + inner(1);
  }
  if (selectionSet && isList(field.type)) {
    return statementsFor(parents) + parents * UNKNOWN_LIST_BOUND + inner(UNKNOWN_LIST_BOUND);
  }
  // A scalar, or an object carried by its parent's row (a viewer's token, an event's token).
  return inner(1);
}

/** The selection of a connection: `totalCount` per parent, `nodes` and `edges.node` per row. */
function connectionCost(
  selectionSet: SelectionSetNode,
  connection: GraphQLNamedType,
  parents: number,
  first: number,
  input: CostInput,
  seen: ReadonlySet<string>,
): number {
  const node = getNamedType(fieldOf(connection, 'nodes')?.type ?? connection);
  let cost = 0;
  const visit = (set: SelectionSetNode, type: GraphQLNamedType | undefined) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (type === connection && name === 'totalCount') {
          cost += parents * 2;
        } else if (type === connection && name === 'nodes' && selection.selectionSet) {
          cost += selectionCost(selection.selectionSet, node, parents * first, input, seen);
        } else if (type === connection && name === 'edges' && selection.selectionSet) {
          visit(
            selection.selectionSet,
            getNamedType(fieldOf(connection, 'edges')?.type ?? connection),
          );
        } else if (type !== connection && name === 'node' && selection.selectionSet) {
          cost += selectionCost(selection.selectionSet, node, parents * first, input, seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, type);
      } else {
        const fragment = input.fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          visit(fragment.selectionSet, type);
        }
      }
    }
  };
  visit(selectionSet, connection);
  return cost;
}

/** The fragments of a document by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  return fragments;
}

/**
 * The points a request costs besides what it reads, in its requested and its actual cost alike:
 * `base` (the COST_PER_REQUEST setting: its authentication, budget and last use), but exactly
 * `COST.minimum` for a request that asks `queryCost` and nothing else (`__typename` aside), which
 * API.md prices at 1.
 */
export function requestBase(operation: OperationDefinitionNode, base: number): number {
  const roots = operation.selectionSet.selections.map((selection) =>
    selection.kind === Kind.FIELD ? selection.name.value : '',
  );
  const onlyQueryCost =
    operation.operation === 'query' &&
    roots.includes('queryCost') &&
    roots.every((name) => name === 'queryCost' || name === '__typename');
  return onlyQueryCost ? COST.minimum : Math.max(COST.minimum, base);
}

/**
 * `requestedQueryCost`: the request's base (`requestBase`; 0 here prices what the document reads
 * alone) plus the operation's estimate with its variables as execution will coerce them
 * (`$n: Int = 1000` left out is 1000, not the default page), at least `COST.minimum`. Per
 * request, in microseconds: a document is a few dozen fields.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  base = 0,
  strictPages = false,
): number {
  const root =
    operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const { coerced } = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    variables ?? {},
  );
  const cost = selectionCost(operation.selectionSet, root ?? undefined, 1, {
    schema,
    fragments: fragmentsOf(document),
    variables: coerced ?? {},
    strictPages,
  });
  const fixed = base > 0 ? requestBase(operation, base) : 0;
  return Math.max(COST.minimum, fixed + Math.ceil(cost));
}
