import { type ApolloServerPlugin, type GraphQLResponse, HeaderMap } from '@apollo/server';
import { createHash } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import type { BoardScope, RequestContext } from '../core/context';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import { isWellFormedSecret } from '../tokens/secret';
import type { Claim, IdempotencyService, StoredResponse } from './idempotency.service';
import { mayUseIdempotencyKey } from './replay-authorization';

const KEY_HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'idempotency-replayed';
/** 1–255 visible ASCII characters: no spaces, no control characters. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
const BUSY_RETRY_AFTER_SECONDS = 5;

// JSON with every object's keys in order, so that one request always has one hash.
const sortedKeys = (_key: string, value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value;

/** SHA-256 (hex) of what a mutation request asks: its query, operation name and variables. */
export function requestHash(
  query: string,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
  boardScope: BoardScope = null,
): string {
  const request = {
    query,
    operationName: operationName ?? null,
    variables: variables ?? {},
    // A replay is authorized with the token's board scope as it is now (API.md section 11): a
    // response stored under another scope is never handed out, nor its mutation run again.
    ...(boardScope === null ? {} : { boardScope: [...boardScope].sort() }),
  };
  return createHash('sha256').update(JSON.stringify(request, sortedKeys)).digest('hex');
}

/** Whether a response holds an API token secret anywhere (createApiToken, rotateApiToken). */
function holdsSecret(value: unknown): boolean {
  if (typeof value === 'string') {
    return isWellFormedSecret(value);
  }
  return value !== null && typeof value === 'object' && Object.values(value).some(holdsSecret);
}

function errorBody(code: string, message: string): FormattedExecutionResult {
  return { errors: [{ message, extensions: { code } }] };
}

// A secret is shown once and only its hash is stored: a response that holds one is not kept, and
// a retry learns what happened instead.
const SECRET_WITHHELD: StoredResponse = {
  status: 409,
  body: JSON.stringify(
    errorBody(
      ErrorCode.BAD_USER_INPUT,
      'The request with this Idempotency-Key was executed, but its response held an API token ' +
        'secret, which is shown only once and never stored; rotate the token for a new secret.',
    ),
  ),
};

// Executing again would repeat a change that committed; only the client can tell what to do.
const LOST_MESSAGE =
  'The request with this Idempotency-Key was executed, but the server stopped before its ' +
  'response was stored; check the result before sending it again with a new key.';

// Stored for retries when a mutation committed but its response came in parts (incremental
// delivery), which are not stored.
const NOT_STORED: StoredResponse = {
  status: 409,
  body: JSON.stringify(
    errorBody(
      ErrorCode.BAD_REQUEST,
      'The request with this Idempotency-Key was executed, but its response was sent in parts, ' +
        'which are not stored; check the result before sending it again with a new key.',
    ),
  ),
};

function refusal(
  status: number,
  code: string,
  message: string,
  headers: [string, string][] = [],
): GraphQLResponse {
  return {
    http: { status, headers: new HeaderMap(headers) },
    body: { kind: 'single', singleResult: errorBody(code, message) },
  };
}

function replay(response: StoredResponse): GraphQLResponse {
  return {
    http: { status: response.status, headers: new HeaderMap([[REPLAYED_HEADER, 'true']]) },
    body: { kind: 'single', singleResult: JSON.parse(response.body) as FormattedExecutionResult },
  };
}

/**
 * Safe retries: a mutation sent with an `Idempotency-Key` header executes once per token and key
 * (kept 24 hours); a retry with the same request gets the stored response again, with
 * `Idempotency-Replayed: true`. Queries ignore the header. A replay short-circuits before
 * execution, so Apollo starts no execution for it and the audit plugin records nothing again.
 * The request that executes marks its key EXECUTED inside the transaction of each change it
 * makes (through its audit scope), so a change that committed is never executed again, even if
 * the instance stops before the response is stored.
 */
export function idempotencyPlugin(
  service: IdempotencyService,
  logger: Logger,
): ApolloServerPlugin<RequestContext> {
  return {
    async serverWillStart() {
      let purging: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        purging = service.purgeExpired().catch((error: unknown) => {
          logger.warn({ err: error }, 'could not purge expired idempotency keys');
        });
      }, PURGE_INTERVAL_MS);
      timer.unref();
      return {
        async serverWillStop() {
          clearInterval(timer);
          await purging;
        },
      };
    },

    async requestDidStart({ request }) {
      const key = request.http?.headers.get(KEY_HEADER);
      if (key === undefined) {
        return;
      }
      let claim: Claim | null = null;
      return {
        // Runs after validation and authentication, right before execution.
        async responseForOperation({ contextValue, operation, request, source }) {
          if (operation?.operation !== 'mutation' || !mayUseIdempotencyKey(contextValue)) {
            return null;
          }
          if (!VALID_KEY.test(key)) {
            return refusal(
              400,
              ErrorCode.BAD_USER_INPUT,
              'The Idempotency-Key header must be 1–255 visible ASCII characters, without spaces; ' +
                'send a new random key (a UUID, say) for each new request.',
            );
          }
          const hash = requestHash(
            source,
            request.operationName,
            request.variables,
            contextValue.boardScope,
          );
          const outcome = await service.begin(
            contextValue.token.id,
            key,
            hash,
            contextValue.request.id,
          );
          switch (outcome.kind) {
            case 'execute': {
              const held = outcome.claim;
              claim = held;
              contextValue.audit.withinChange = (manager) => service.markExecuted(manager, held);
              return null;
            }
            case 'replay':
              return replay(outcome.response);
            case 'mismatch':
              return refusal(
                422,
                ErrorCode.BAD_USER_INPUT,
                'This Idempotency-Key was used with a different request body, or before this ' +
                  'token’s boards changed; use a new key for a new request.',
              );
            case 'busy':
              // 409 as in the IETF Idempotency-Key draft, never QUERY_TIMEOUT: the first
              // request may still commit, and this one has not run.
              return refusal(
                409,
                ErrorCode.BAD_REQUEST,
                'The first request with this Idempotency-Key is still running; retry with the ' +
                  'same key in a few seconds.',
                [['retry-after', String(BUSY_RETRY_AFTER_SECONDS)]],
              );
            case 'lost':
              return refusal(409, ErrorCode.BAD_REQUEST, LOST_MESSAGE);
          }
        },

        async willSendResponse({ response }) {
          if (claim === null) {
            return;
          }
          try {
            if (response.body.kind === 'single') {
              const { singleResult } = response.body;
              await service.complete(
                claim,
                holdsSecret(singleResult)
                  ? SECRET_WITHHELD
                  : { status: response.http.status ?? 200, body: JSON.stringify(singleResult) },
              );
            } else {
              await service.release(claim, NOT_STORED);
            }
          } catch (error) {
            // The response still goes out. Retries wait for the key until it is taken over.
            logger.error({ err: error }, 'could not store the response of an idempotent mutation');
          }
        },
      };
    },
  };
}
