import { Arg, Ctx, Info, Query, Resolver } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../core/context';
import type { CostBudget } from './cost-budget';
import { checkDocument } from './document-check';
import { QueryCost, RateLimit } from './cost.types';
import { estimateCost } from './query-cost';
import { requestCostOf } from './request-cost';

/** A token's budget and the estimate of a document, read without running anything else. */
@Resolver()
export class CostResolver {
  constructor(
    private readonly budget: CostBudget,
    /** COST_PER_REQUEST, in the estimate as in the request's own. */
    private readonly base: number,
  ) {}

  @Query(() => RateLimit, {
    description:
      'This token’s cost budget once this operation’s requested cost was reserved (API.md section 9).',
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
    // Refused as the request itself would be refused before it ran, in the same words.
    const checked = checkDocument(info.schema, query, variables, operationName);
    const requested = estimateCost(
      info.schema,
      checked.document,
      checked.operation,
      checked.variables,
      this.base,
      true,
    );
    return {
      requestedQueryCost: requested,
      maximumAvailable: this.budget.settings.size,
      currentlyAvailable: Math.max(0, Math.floor(await this.budget.available(ctx.token.id))),
    };
  }
}
