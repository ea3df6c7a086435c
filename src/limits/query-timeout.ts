import type { ApolloServerPlugin } from '@apollo/server';
import { type Clock, type Timer, realTimer, systemClock } from '../core/clock';
import type { RequestContext } from '../core/context';
import { QueryTimeoutError } from '../core/errors';
import type { Metrics } from '../core/metrics';

/** Seconds a client should wait before it retries a timed-out query (smaller, ideally). */
export const QUERY_TIMEOUT_RETRY_AFTER_SECONDS = 10;

/**
 * Stops a query that runs past `timeoutMs`: a SQL statement still running then is stopped (by
 * `timer`, db/statement-deadline.ts), its next batched database read (the nested fields of a
 * page: boards, monitors, updates, status events) fails, and the response is 503 QUERY_TIMEOUT
 * with `Retry-After` instead of a partial result. A query that completes is answered, even late:
 * its work is done. Mutations have no limit: one may still commit, so it is never reported as
 * timed out.
 */
export function queryTimeout(
  timeoutMs: number,
  metrics: Metrics,
  clock: Clock = systemClock,
  timer: Timer = realTimer,
): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let isQuery = false;
      return {
        // Execution starts after the query got its turn (fair-scheduler.ts).
        async executionDidStart({ operation, contextValue }) {
          // No operation when operationName names none of the document's.
          if (operation?.operation === 'query') {
            isQuery = true;
            contextValue.loaders.stopAfter(timeoutMs, clock, timer);
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!isQuery || !contextValue.loaders.stopped) {
            return;
          }
          metrics.queryTimeouts.inc();
          const { message, extensions } = new QueryTimeoutError(timeoutMs);
          response.body = { kind: 'single', singleResult: { errors: [{ message, extensions }] } };
          response.http.status = 503;
          response.http.headers.set('retry-after', String(QUERY_TIMEOUT_RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}
