import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import {
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  type ValueNode,
  getNamedType,
  getVariableValues,
  isObjectType,
  isInterfaceType,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../db/pagination';
import type { Metrics } from '../core/metrics';
import { ApolloErrorCode } from '../core/errors';

const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

interface CostInput {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  /** The request's variables as coerced for execution: defaults of the document included. */
  variables: Record<string, unknown>;
  /**
   * Each fragment's cost, reckoned once: a fragment spread twice by one spread twice by … would
   * otherwise be walked 2^n times (a 900-character document, seconds of CPU).
   */
  fragmentCosts?: Map<string, number>;
}

function firstOf(
  field: GraphQLField<unknown, unknown> | undefined,
  value: ValueNode | undefined,
  variables: Record<string, unknown>,
): number {
  if (!field?.args.some((arg) => arg.name === 'first')) {
    return 1;
  }
  let first: unknown = null;
  if (value?.kind === Kind.INT) {
    first = Number(value.value);
  } else if (value?.kind === Kind.VARIABLE) {
    first = variables[value.name.value];
  }
  if (typeof first !== 'number' || !Number.isInteger(first)) {
    return DEFAULT_PAGE_SIZE;
  }
  // Out of range is the list's own BAD_USER_INPUT, refused before any row is read.
  return Math.min(Math.max(first, 1), MAX_PAGE_SIZE);
}

/**
 * GraphQL Armor's cost (objects 2, scalars 1, ×1.5 per level, a list's selection × its `first`),
 * computed with the request's variables, with `first`'s default where it is left out and with a
 * `first` out of range counted as 1000 (the list refuses it itself). Armor's rule checks the
 * document alone and counts `first: $n` or no `first` as 1. Per request, in microseconds: a
 * document is a few dozen fields.
 */
export function operationCost(
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
  input: CostInput,
  seen: ReadonlySet<string> = new Set(),
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__schema' || name === '__type') {
        continue;
      }
      const field =
        parent && (isObjectType(parent) || isInterfaceType(parent))
          ? parent.getFields()[name]
          : undefined;
      if (!selection.selectionSet) {
        cost += SCALAR_COST;
        continue;
      }
      const first = firstOf(
        field,
        selection.arguments?.find((arg) => arg.name.value === 'first')?.value,
        input.variables,
      );
      const inner = operationCost(
        selection.selectionSet,
        field ? getNamedType(field.type) : undefined,
        input,
        seen,
      );
      cost += (OBJECT_COST + DEPTH_FACTOR * inner) * first;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? input.schema.getType(selection.typeCondition.name.value)
        : parent;
      cost += operationCost(selection.selectionSet, type ?? undefined, input, seen);
    } else {
      const name = selection.name.value;
      const fragment = input.fragments.get(name);
      const costs = (input.fragmentCosts ??= new Map<string, number>());
      let fragmentCost = costs.get(name);
      if (fragmentCost === undefined && fragment && !seen.has(name)) {
        const type = input.schema.getType(fragment.typeCondition.name.value) ?? undefined;
        fragmentCost = operationCost(fragment.selectionSet, type, input, new Set([...seen, name]));
        costs.set(name, fragmentCost);
      }
      cost += fragmentCost ?? 0;
    }
  }
  return cost;
}

/** Refuses, before execution, an operation whose cost with its variables passes `maxCost`. */
export function variableCostLimit(maxCost: number, metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          if (!operation) {
            return;
          }
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) {
              fragments.set(definition.name.value, definition);
            }
          }
          const root =
            operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
          // As execution will see them: `$n: Int = 1000` left out is 1000, not the default page.
          const { coerced } = getVariableValues(
            schema,
            operation.variableDefinitions ?? [],
            request.variables ?? {},
          );
          const cost = operationCost(operation.selectionSet, root ?? undefined, {
            schema,
            fragments,
            variables: coerced ?? {},
          });
          if (cost > maxCost) {
            metrics.queryLimitRefusals.inc({ limit: 'cost' });
            throw new GraphQLError(
              `Query cost limit of ${maxCost} exceeded, found ${Math.round(cost)}. Please ask ` +
                'for fewer rows (a smaller `first`) or fewer fields, or split the request.',
              {
                extensions: {
                  code: ApolloErrorCode.GRAPHQL_VALIDATION_FAILED,
                  http: { status: 400, headers: new HeaderMap() },
                },
              },
            );
          }
        },
      };
    },
  };
}
