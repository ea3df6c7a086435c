import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  __Schema,
  __Type,
  getNamedType,
  isObjectType,
  valueFromASTUntyped,
} from 'graphql';

/** What an introspection walk needs from the document: its fragments and variables. */
export interface IntrospectionInput {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

type Counts = Map<SelectionSetNode, WeakMap<object, number>>;

/**
 * The points of a root `__schema` or `__type(name:)` selection: one for every object its
 * selection set visits in this schema (a type, a field, an argument, an enum value, a directive,
 * each step of a type reference), counted by graphql-js's own introspection resolvers on the real
 * schema, so the figure is what execution would build, with `includeDeprecated` taken as true.
 * Introspection reads no rows, but thirty aliased walks of the whole schema, or a nested one
 * (`fields { type { ofType { fields … }`), build as many objects as a large page: they are
 * priced by them.
 * Each selection set is counted once per schema object it meets, so the count stays linear in
 * the document even where the walk it prices is exponential.
 */
export function introspectionCost(field: FieldNode, input: IntrospectionInput): number {
  const counts: Counts = new Map();
  if (!field.selectionSet) {
    return 0;
  }
  if (field.name.value === '__schema') {
    return 1 + walk(field.selectionSet, __Schema, input.schema, input, counts, new Set());
  }
  const nameArg = field.arguments?.find((arg) => arg.name.value === 'name');
  const name = nameArg ? valueFromASTUntyped(nameArg.value, input.variables) : undefined;
  const type = typeof name === 'string' ? input.schema.getType(name) : undefined;
  return type ? 1 + walk(field.selectionSet, __Type, type, input, counts, new Set()) : 1;
}

function walk(
  selectionSet: SelectionSetNode,
  parent: GraphQLObjectType,
  value: object,
  input: IntrospectionInput,
  counts: Counts,
  seen: ReadonlySet<string>,
): number {
  let known = counts.get(selectionSet);
  const counted = known?.get(value);
  if (counted !== undefined) {
    return counted;
  }
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      cost += fieldWalk(selection, parent, value, input, counts, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      cost += walk(selection.selectionSet, parent, value, input, counts, seen);
    } else {
      const name = selection.name.value;
      const fragment = input.fragments.get(name);
      if (fragment && !seen.has(name)) {
        cost += walk(fragment.selectionSet, parent, value, input, counts, new Set([...seen, name]));
      }
    }
  }
  if (!known) {
    known = new WeakMap();
    counts.set(selectionSet, known);
  }
  known.set(value, cost);
  return cost;
}

function fieldWalk(
  selection: FieldNode,
  parent: GraphQLObjectType,
  value: object,
  input: IntrospectionInput,
  counts: Counts,
  seen: ReadonlySet<string>,
): number {
  const definition = parent.getFields()[selection.name.value];
  const child = definition && getNamedType(definition.type);
  if (!selection.selectionSet || !definition?.resolve || !isObjectType(child)) {
    // A scalar or an enum (a name, a kind, a description): carried by the object already counted.
    return 0;
  }
  // The resolvers read the source, `includeDeprecated` and, for possibleTypes, info.schema.
  const result: unknown = definition.resolve(value, { includeDeprecated: true }, undefined, {
    schema: input.schema,
  } as never);
  const items = Array.isArray(result) ? (result as unknown[]) : [result];
  let cost = 0;
  for (const item of items) {
    if (item !== null && typeof item === 'object') {
      cost += 1 + walk(selection.selectionSet, child, item, input, counts, seen);
    }
  }
  return cost;
}
