import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * The fields asked for in `sets`, by field name (aliases merged), fragments and inline fragments
 * followed. Directives are not evaluated: a field under `@include(if: false)` counts as asked
 * for, so a reader of columns reads too much, never too little.
 */
export function fieldsOf(
  sets: readonly SelectionSetNode[],
  info: Pick<GraphQLResolveInfo, 'fragments'>,
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const list = fields.get(name);
        if (list) {
          list.push(selection);
        } else {
          fields.set(name, [selection]);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment) {
          visit(fragment.selectionSet);
        }
      }
    }
  };
  sets.forEach(visit);
  return fields;
}

/** The selection sets of `nodes`, for the fields under them. */
export function selectionSetsOf(nodes: readonly FieldNode[] | undefined): SelectionSetNode[] {
  return (nodes ?? []).flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
}

/**
 * What a connection field's nodes are asked for (`nodes { … }` and `edges { node { … } }`),
 * by field name, each with its field nodes (for what is asked under it).
 */
export function connectionNodeFields(info: GraphQLResolveInfo): Map<string, FieldNode[]> {
  const connection = fieldsOf(selectionSetsOf(info.fieldNodes), info);
  const edges = fieldsOf(selectionSetsOf(connection.get('edges')), info);
  return fieldsOf(
    [...selectionSetsOf(connection.get('nodes')), ...selectionSetsOf(edges.get('node'))],
    info,
  );
}
