import type { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { RequestContext } from '../core/context';
import type { Metrics } from '../core/metrics';
import { type FairScheduler, QueryNotStartedError } from './fair-scheduler';
import { requestCostOf } from './request-cost';

/**
 * Queries wait for their turn in the fair scheduler once their cost is known and reserved (the
 * cost plugin's didResolveOperation), and give it back when their response is sent. Mutations
 * are never scheduled.
 */
export function fairScheduling(
  scheduler: FairScheduler,
  metrics: Metrics,
): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let end: (() => void) | undefined;
      return {
        async responseForOperation({ operation, contextValue }) {
          const cost = requestCostOf(contextValue);
          if (operation?.operation !== 'query' || !cost?.reserved) {
            return null;
          }
          try {
            // The lane follows what the query reads: every request's base is the same.
            end = await scheduler.start(contextValue.token.id, cost.requested - cost.base, () =>
              metrics.queuedQueries.inc(),
            );
            return null;
          } catch (error) {
            if (!(error instanceof QueryNotStartedError)) {
              throw error;
            }
            // Answered here, not thrown: Apollo turns what this hook throws into a 500.
            const { message, extensions } = error;
            const { http, ...rest } = extensions as {
              http: { status: number; headers: HeaderMap };
            };
            return {
              http,
              body: { kind: 'single', singleResult: { errors: [{ message, extensions: rest }] } },
            };
          }
        },
        async willSendResponse() {
          end?.();
          end = undefined;
        },
      };
    },
  };
}
