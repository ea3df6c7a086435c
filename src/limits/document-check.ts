import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { UserInputError } from '../core/errors';
import { QUERY_LIMITS, documentRules, rewordTokenLimit } from './query-limits';

/** A document that would pass every check a request makes before it runs. */
export interface CheckedDocument {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The variables as sent, which execution would accept. */
  variables: Record<string, unknown>;
}

const DOCUMENT_RULES = documentRules(() => undefined);

/**
 * The checks Apollo's pipeline makes before a request runs — parsing with the token limit,
 * graphql-js's validation and the document limits (aliases, depth, directives: the same rules
 * as query-limits.ts gives Apollo), the operation chosen, the variables coerced — for a document
 * that `queryCost` prices instead of running. A document the request would refuse is
 * BAD_USER_INPUT (argument `query`, `variables` or `operationName`) with the message the request
 * would get. Page bounds, which the request checks as its lists run, are checked by the estimate
 * itself (query-cost.ts, `strictPages`). The messages are then worded for the client as every
 * error is (server/format-error.ts: no suggestions, no echoed values), the request's alike.
 */
export function checkDocument(
  schema: GraphQLSchema,
  query: string,
  variables: string | null | undefined,
  operationName: string | null | undefined,
): CheckedDocument {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: QUERY_LIMITS.maxTokens });
  } catch (error) {
    rewordTokenLimit(error);
    throw new UserInputError(messageOf(error), 'query');
  }
  const [invalid] = validate(schema, document, [...specifiedRules, ...DOCUMENT_RULES]);
  if (invalid) {
    throw new UserInputError(invalid.message, 'query');
  }
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    // graphql-js's words, as the request gets them.
    throw new UserInputError(
      operationName
        ? `Unknown operation named "${operationName}".`
        : 'Must provide operation name if query contains multiple operations.',
      'operationName',
    );
  }
  const values = variablesOf(variables);
  const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], values);
  if (errors?.length) {
    throw new UserInputError(errors[0].message, 'variables');
  }
  return { document, operation, variables: values };
}

function variablesOf(variables: string | null | undefined): Record<string, unknown> {
  let values: unknown = {};
  if (variables) {
    try {
      values = JSON.parse(variables);
    } catch {
      throw new UserInputError('variables must be a JSON object, as text.', 'variables');
    }
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new UserInputError('variables must be a JSON object, as text.', 'variables');
  }
  return values as Record<string, unknown>;
}

const messageOf = (error: unknown) =>
  error instanceof GraphQLError ? error.message : 'query is not a GraphQL document.';
