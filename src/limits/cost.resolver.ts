import { GraphQLError, type GraphQLSchema, getOperationAST, parse, validate } from 'graphql';
import { Arg, Ctx, Info, Query, Resolver } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../core/context';
import { UserInputError } from '../core/errors';
import type { CostBudget } from './cost-budget';
import { QueryCost, RateLimit } from './cost.types';
import { estimateCost } from './query-cost';
import { requestCostOf } from './request-cost';

/** A token's budget and the estimate of a document, read without running anything else. */
@Resolver()
export class CostResolver {
  constructor(private readonly budget: CostBudget) {}

  @Query(() => RateLimit, {
    description: 'This token’s cost budget after this operation’s charge (API.md section 9).',
  })
  rateLimit(@Ctx() ctx: RequestContext): RateLimit {
    const cost = requestCostOf(ctx);
    const available = cost?.available ?? this.budget.settings.size;
    return {
      cost: cost?.requested ?? 0,
      limit: this.budget.settings.size,
      remaining: Math.max(0, Math.floor(available)),
      resetAt: new Date(
        this.budget.clock.now().getTime() + this.budget.secondsUntilFull(available) * 1000,
      ),
      restoreRate: this.budget.settings.restoreRate,
    };
  }

  @Query(() => QueryCost, {
    description:
      'The requested cost of another document (variables as JSON text), without running it.',
  })
  async queryCost(
    @Arg('query', () => String) query: string,
    @Arg('variables', () => String, { nullable: true }) variables: string | null | undefined,
    @Arg('operationName', () => String, { nullable: true })
    operationName: string | null | undefined,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<QueryCost> {
    const requested = estimateOf(info.schema, query, variables, operationName);
    return {
      requestedQueryCost: requested,
      maximumAvailable: this.budget.settings.size,
      currentlyAvailable: Math.max(0, Math.floor(await this.budget.available(ctx.token.id))),
    };
  }
}

function estimateOf(
  schema: GraphQLSchema,
  query: string,
  variables: string | null | undefined,
  operationName: string | null | undefined,
): number {
  let document;
  try {
    document = parse(query, { maxTokens: 5000 });
  } catch (error) {
    throw new UserInputError(`query is not a GraphQL document: ${messageOf(error)}`, 'query');
  }
  const [invalid] = validate(schema, document);
  if (invalid) {
    throw new UserInputError(`query is not valid against this schema: ${invalid.message}`, 'query');
  }
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    throw new UserInputError(
      operationName
        ? 'operationName names no operation of the query.'
        : 'query has several operations: pass operationName.',
      'operationName',
    );
  }
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
  return estimateCost(schema, document, operation, values as Record<string, unknown>);
}

const messageOf = (error: unknown) =>
  error instanceof GraphQLError ? error.message.replace(/^Syntax Error: /, '') : 'unreadable';
