import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Metrics } from '../core/metrics';

/**
 * Limits on a document's shape, checked before anything runs. Tuned on the largest legitimate
 * request — a BI export page: `incidents(first: 1000)` with every incident field, its board,
 * updates and monitors (depth 5, ~110 tokens) — against amplification: hundreds of aliases,
 * depth 30, thousands of duplicated fields. What a document reads is its cost (section 9). The
 * playground's introspection query is exempt from depth (the schema bounds it).
 */
export const QUERY_LIMITS = {
  /** Scripts batch a few mutations with aliases (`a: createIncident … b: createIncident …`). */
  maxAliases: 30,
  /** The deepest legitimate path is 6 (boards → nodes → incidents → nodes → monitors → board). */
  maxDepth: 12,
  maxDirectives: 50,
  /** Lexical tokens of a document: 5,000 duplicated fields do not fit; introspection has ~300. */
  maxTokens: 5_000,
} as const;

type Limit = 'aliases' | 'depth' | 'directives';

const ADVICE: Record<Limit, string> = {
  aliases: 'send fewer aliased fields, or split the request',
  depth: 'ask for less deeply nested fields',
  directives: 'use fewer directives',
};

/**
 * Armor reports a refusal as "Syntax Error: …"; the client gets what was exceeded and what to
 * do instead, and the refusal is counted by limit. Apollo answers 400 GRAPHQL_VALIDATION_FAILED.
 */
function reportTo(limit: Limit, refused: (limit: Limit) => void) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        refused(limit);
        context?.reportError(
          new GraphQLError(
            `${error.message.replace(/^Syntax Error: /, '')} Please ${ADVICE[limit]}.`,
          ),
        );
      },
    ],
  };
}

export interface QueryLimits {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  parseOptions: ParseOptions;
}

/** GraphQL Armor's validation rules and the parser's token limit, for Apollo's options. */
export function queryLimits(metrics: Metrics): QueryLimits {
  return {
    validationRules: documentRules((limit) => metrics.queryLimitRefusals.inc({ limit })),
    plugins: [tokenLimitReport(metrics)],
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
  };
}

/**
 * The document limits as validation rules, `refused` told of each refusal: Apollo's (counted in
 * the metrics) and `queryCost`'s (document-check.ts) are the same rules, in the same words.
 */
export function documentRules(refused: (limit: Limit) => void): ValidationRule[] {
  const { validationRules } = new ApolloArmor({
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...reportTo('aliases', refused) },
    maxDepth: { n: QUERY_LIMITS.maxDepth, flattenFragments: true, ...reportTo('depth', refused) },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...reportTo('directives', refused) },
    // The cost is API.md section 9's, per request with its variables, against the token's
    // budget (query-cost.ts, cost-plugin.ts): Armor reads the document alone, so `first: $n`
    // and a left-out `first` count as 1, and nested lists once instead of once per parent.
    costLimit: { enabled: false },
    // Armor's token limit throws from a parsing hook, which Apollo 5 answers with a 500;
    // graphql-js's own `maxTokens` refuses the same documents as a 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    // Apollo's hideSchemaDetailsFromClientErrors removes the suggestions without a regex.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return validationRules as ValidationRule[];
}

const TOO_MANY_TOKENS =
  /^Syntax Error: Document contains more that (\d+) tokens\. Parsing aborted\.$/;

/**
 * graphql-js's refusal of a document over `maxTokens` in words that say what to do (true), or
 * false for another parse error.
 */
export function rewordTokenLimit(error: unknown): boolean {
  const limit = error instanceof Error && TOO_MANY_TOKENS.exec(error.message)?.[1];
  if (limit && error instanceof GraphQLError) {
    error.message =
      `The document has more than ${limit} tokens, the limit. Please ask for fewer ` +
      'fields (repeated fields count each time), or split the request.';
    return true;
  }
  return false;
}

/** graphql-js's refusal of a document over `maxTokens`, counted, reworded. */
function tokenLimitReport(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async parsingDidStart() {
          return async (error?: Error) => {
            if (rewordTokenLimit(error)) {
              metrics.queryLimitRefusals.inc({ limit: 'tokens' });
            }
          };
        },
      };
    },
  };
}
