import type { ApolloServerPlugin } from '@apollo/server';
import {
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type DocumentNode,
  getArgumentValues,
  getVariableValues,
  Kind,
} from 'graphql';
import { collectFields } from 'graphql/execution/collectFields';
import type { IMiddlewareFunction } from 'graphql-middleware';
import type { RequestContext } from '../core/context';
import type { Logger } from '../core/logger';
import { TokenPermission } from '../core/permission';
import { AuditOutcome } from './audit-event.entity';
import type { AuditLogService, AuditRefusal } from './audit-log.service';
import { ErrorCode } from '../core/errors';

/**
 * Applied to every Mutation root field: tells the request's audit scope which root field runs, so
 * that the service recording its success knows the action. Mutation root fields run one at a time.
 */
export const enterAuditScope: IMiddlewareFunction<unknown, RequestContext> = (
  resolve,
  root,
  args,
  ctx,
  info,
) => {
  ctx.audit.enter(info.fieldName, String(info.path.key));
  return resolve(root, args, ctx, info);
};

interface RootField {
  responseKey: string;
  action: string;
  target: AuditRefusal['target'];
}

function rootMutationFields(
  targetTypes: readonly string[],
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown>,
): RootField[] {
  // Coerced as execution coerces them (scalars' parseValue included), so a target id is stored
  // as the resolver saw it.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  const variables = coerced.coerced ?? {};
  const mutationType = schema.getMutationType();
  if (!mutationType) {
    return [];
  }
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments[definition.name.value] = definition;
    }
  }
  const fields = collectFields(schema, fragments, variables, mutationType, operation.selectionSet);
  return [...fields].map(([responseKey, nodes]) => {
    const action = nodes[0].name.value;
    const definition = mutationType.getFields()[action];
    let targetId: unknown;
    try {
      const args = definition ? getArgumentValues(definition, nodes[0], variables) : {};
      targetId = args.id ?? args.incidentId;
    } catch {
      // Arguments that do not coerce have failed the field already; the event simply has no target.
    }
    return {
      responseKey,
      action,
      target: {
        type: targetTypes.find((type) => action.includes(type)),
        id: typeof targetId === 'string' ? targetId : undefined,
      },
    };
  });
}

function refusal(
  field: RootField,
  ctx: RequestContext,
  errors: readonly GraphQLFormattedError[],
): AuditRefusal {
  const own = errors.find((e) => e.path?.length === 1 && e.path[0] === field.responseKey);
  // A root field with no error of its own that did not succeed was never executed, because an
  // earlier one failed: for a read-only token it would have been denied.
  const denied = own
    ? own.extensions?.code === ErrorCode.FORBIDDEN
    : ctx.permission !== TokenPermission.FULL_ACCESS;
  return {
    action: field.action,
    outcome: denied ? AuditOutcome.DENIED : AuditOutcome.FAILED,
    target: field.target,
  };
}

/**
 * Writes a DENIED or FAILED event, before the response is sent, for every Mutation root field
 * that the request asked for (aliases and fragments included) and that recorded no success.
 * Requests refused before execution (401, parse, validation, variables) are not audited.
 */
export function auditPlugin(
  audit: AuditLogService,
  logger: Logger,
): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let executed = false;
      return {
        async executionDidStart() {
          executed = true;
        },
        async willSendResponse({ contextValue, document, operation, request, response, schema }) {
          if (!executed || !document || operation?.operation !== 'mutation') {
            return;
          }
          const errors =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const refusals = rootMutationFields(
            audit.targetTypes,
            schema,
            document,
            operation,
            request.variables ?? {},
          )
            .filter((field) => !contextValue.audit.hasSucceeded(field.responseKey))
            .map((field) => refusal(field, contextValue, errors));
          try {
            await audit.refused(contextValue, refusals);
          } catch (error) {
            logger.error({ err: error }, 'could not write audit events for a refused mutation');
          }
        },
      };
    },
  };
}
