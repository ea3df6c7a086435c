import type { GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddlewareFunction } from 'graphql-middleware';
import { buildSchema, type ContainerType } from 'type-graphql';
import { enterAuditScope } from '../audit/audit.plugin';
import { RULES, permissions } from '../auth/permissions';
import type { ResolverClass } from '../core/feature';
import { DateTimeScalar } from '../graphql/date-time.scalar';
import { readJoinedFirst } from '../graphql/joined-field';

/**
 * The resolver classes the schema is built from and their instances, as the composition root
 * (app.ts) hands them over: the server imports no feature.
 */
export interface ResolverContainer extends ContainerType {
  resolvers: readonly ResolverClass[];
}

type FieldMiddleware = Record<string, Record<string, IMiddlewareFunction>>;

/**
 * The schema as type-graphql builds it from the resolvers, before authorization: what
 * `schema/schema.graphql` shows. Resolver instances come from `container`.
 */
export async function buildBareSchema(container: ResolverContainer): Promise<GraphQLSchema> {
  const [first, ...rest] = container.resolvers;
  if (first === undefined) {
    throw new Error('A schema needs at least one resolver.');
  }
  const schema = await buildSchema({
    resolvers: [first, ...rest],
    container,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
  return readJoinedFirst(schema);
}

/**
 * Puts the shield rule map on the schema — on the root fields and the few ruled object fields
 * only. Shield would wrap every field of every type (the fallback rule) and make each one async,
 * which costs several times the query itself on large lists; plain data fields are readable by
 * whoever may read their parent, so they keep their own, synchronous resolvers.
 */
export function applyAuthorization(schema: GraphQLSchema): GraphQLSchema {
  const generated = permissions.generate(schema) as FieldMiddleware;
  const ruled: FieldMiddleware = {};
  for (const [typeName, fields] of Object.entries(RULES)) {
    const names = '*' in fields ? Object.keys(generated[typeName] ?? {}) : Object.keys(fields);
    ruled[typeName] = Object.fromEntries(names.map((name) => [name, generated[typeName][name]]));
  }
  const mutationFields = Object.keys(schema.getMutationType()?.getFields() ?? {});
  const audit = {
    Mutation: Object.fromEntries(mutationFields.map((name) => [name, enterAuditScope])),
  };
  return applyMiddleware(schema, ruled, audit as FieldMiddleware);
}

export async function buildAppSchema(container: ResolverContainer): Promise<GraphQLSchema> {
  return applyAuthorization(await buildBareSchema(container));
}
