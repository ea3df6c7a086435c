import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../core/context';
import type { Metrics } from '../core/metrics';
import { BudgetExhaustedError, type CostBudget, QueryTooCostlyError } from './cost-budget';
import { estimateCost, requestBase } from './query-cost';
import {
  actualCostOf,
  documentKey,
  requestCostOf,
  startRequestCost,
  takenAheadOf,
} from './request-cost';

/**
 * API.md section 9 around each authenticated operation: its cost estimated from the document
 * and the variables, reserved from the token's bucket before anything runs (so parallel requests
 * cannot all pass one check; on PostgreSQL what the same document cost last time is taken
 * ahead, with the token look-up, and only the difference reserved here), settled to the cost counted while it ran (a timed-out query is
 * charged what it read), and reported in `extensions.cost` and the `RateLimit-*` headers. A
 * refused operation is charged nothing: 400 QUERY_TOO_COSTLY when it exceeds the whole bucket,
 * 429 RATE_LIMITED with `Retry-After` when it only exceeds what is left now.
 */
export function costBudgetPlugin(
  budget: CostBudget,
  metrics: Metrics,
  /** COST_PER_REQUEST: the points of every request besides what it reads. */
  base: number,
): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue }) {
          if (!operation) {
            return;
          }
          const requested = estimateCost(schema, document, operation, request.variables, base);
          budget.noteRequested(
            contextValue.token.id,
            documentKey(request.query, request.operationName),
            requested,
          );
          const cost = startRequestCost(contextValue, requested, requestBase(operation, base));
          const tokenId = contextValue.token.id;
          try {
            cost.available = await budget.reserve(
              tokenId,
              requested,
              takenAheadOf(contextValue.request),
            );
            cost.reserved = true;
          } catch (error) {
            if (error instanceof QueryTooCostlyError || error instanceof BudgetExhaustedError) {
              cost.available = error.report.throttleStatus.currentlyAvailable;
              if (error instanceof QueryTooCostlyError) {
                metrics.queryLimitRefusals.inc({ limit: 'cost' });
              } else {
                metrics.rateLimited.inc({ limit: 'token' });
              }
            }
            throw error;
          }
        },
        // Synchronous up to the settlement, so what follows in the plugin list (the
        // idempotency plugin storing the response) sees the figures: a replay is answered
        // byte for byte as the first time, figures included; only its headers are its own.
        async willSendResponse({ response, contextValue }) {
          // Taken ahead with the token look-up, but the request ended before its reservation
          // (a document that did not parse or validate): given back.
          const ahead = takenAheadOf(contextValue.request);
          if (ahead) {
            await budget.giveBack(ahead);
          }
          const cost = requestCostOf(contextValue);
          if (!cost) {
            return;
          }
          let actual = 0;
          let settled: Promise<void> | undefined;
          if (cost.reserved) {
            cost.reserved = false;
            // Every request that ran costs its base, even one that read nothing.
            actual = actualCostOf(cost);
            cost.available = Math.min(
              budget.settings.size,
              cost.available + cost.requested - actual,
            );
            settled = budget.settle(contextValue.token.id, cost.requested, actual);
          }
          for (const [name, value] of budget.headers(cost.available)) {
            response.http.headers.set(name, value);
          }
          // A replayed response (Idempotency-Key) is the stored one, unchanged, figures of its
          // first run included. One stored without figures (the 409 that withholds a token
          // secret, or a response stored before they existed) gets this request's.
          const replayed = response.http.headers.get('idempotency-replayed') === 'true';
          if (
            response.body.kind === 'single' &&
            (!replayed || response.body.singleResult.extensions?.cost === undefined)
          ) {
            const result = response.body.singleResult;
            result.extensions = {
              ...result.extensions,
              cost: budget.report(cost.requested, actual, cost.available),
            };
          }
          await settled;
        },
      };
    },
  };
}
