import type { GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddlewareFunction } from 'graphql-middleware';
import { buildSchema, type ContainerType, type NonEmptyArray } from 'type-graphql';
import { AuditEventResolver } from '../audit/audit-event.resolver';
import { enterAuditScope } from '../audit/audit.plugin';
import { RULES, permissions } from '../auth/permissions';
import { BoardResolver } from '../boards/board.resolver';
import { IncidentResolver } from '../incidents/incident.resolver';
import { MonitorResolver, StatusEventResolver } from '../monitors/monitor.resolver';
import { DateTimeScalar } from '../graphql/date-time.scalar';
import { CostResolver } from '../limits/cost.resolver';
import { ApiTokenResolver } from '../tokens/api-token.resolver';
import { ViewerResolver } from '../tokens/viewer.resolver';

export const RESOLVERS: NonEmptyArray<new (...args: never[]) => object> = [
  ViewerResolver,
  ApiTokenResolver,
  BoardResolver,
  MonitorResolver,
  StatusEventResolver,
  IncidentResolver,
  AuditEventResolver,
  CostResolver,
];

type FieldMiddleware = Record<string, Record<string, IMiddlewareFunction>>;

/**
 * The schema as type-graphql builds it from the resolvers, before authorization: what
 * `schema/schema.graphql` shows. Resolver instances come from `container`.
 */
export function buildBareSchema(container?: ContainerType): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    container,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
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

export async function buildAppSchema(container: ContainerType): Promise<GraphQLSchema> {
  return applyAuthorization(await buildBareSchema(container));
}
