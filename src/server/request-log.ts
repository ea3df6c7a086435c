import type { ApolloServerPlugin } from '@apollo/server';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext, RequestMeta } from '../core/context';
import type { Logger } from '../core/logger';
import { maskSecrets } from '../tokens/secret';
import type { Metrics } from '../core/metrics';
import { ErrorCode } from '../core/errors';
import type { HttpStep } from './http-steps';
import { pathOf } from './request-target';

/** What one request turned out to be, filled in as it goes; logged and counted at its end. */
export interface RequestRecord {
  operationType?: string;
  operationName?: string;
  tokenId?: string;
  tokenPrefix?: string;
  /** `ok`, or the first error's code (UNAUTHENTICATED, FORBIDDEN, …). */
  outcome?: string;
  reason?: string;
}

export interface ObservedRequest extends RequestMeta {
  record: RequestRecord;
}

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The status logged for a request whose client left before any of the answer was sent. */
const CLIENT_GONE_STATUS = 499;

const observations = new WeakMap<ServerResponse, ObservedRequest>();

const ASCII_ESCAPE = /%[0-7][0-9A-Fa-f]/;
const ASCII_ESCAPES = /%([0-7][0-9A-Fa-f])/g;

/**
 * The path as logged: a secret a client put in it (`/graphql/sgp_…`) as its display prefix, also
 * when percent-encoded (`%73gp_…`, up to three times over, among escapes that do not decode):
 * the path is then logged with its ASCII escapes decoded.
 */
function loggedPath(path: string): string {
  if (!ASCII_ESCAPE.test(path)) {
    return maskSecrets(path);
  }
  let decoded = path;
  // A secret is ASCII: decoding only `%00`–`%7F`, one at a time, cannot fail on the rest.
  for (let pass = 0; pass < 3 && ASCII_ESCAPE.test(decoded); pass++) {
    decoded = decoded.replace(ASCII_ESCAPES, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
  }
  const masked = maskSecrets(decoded);
  return masked === decoded ? maskSecrets(path) : masked;
}

/** The request's metadata and record, made by `observeRequests` for every request. */
export function observed(res: ServerResponse): ObservedRequest {
  return observations.get(res) as ObservedRequest;
}

const unfinished = new WeakMap<ServerResponse, Promise<unknown>>();

/**
 * Should the client of `res` leave before its answer, its log line waits for `work` (the
 * operation it started) to settle: what the request did, and for which token, is known then.
 */
export function logAfter(res: ServerResponse, work: Promise<unknown>): void {
  unfinished.set(res, work);
}

/**
 * One JSON log line and the metrics of every request: request id, token id and prefix,
 * operation type and name, duration, status and outcome. Never a secret or a variable's value.
 */
export function observeRequests(
  logger: Logger,
  metrics: Metrics,
  clientAddress: (req: IncomingMessage) => string | null,
): HttpStep {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    // Read now: routers mounted on a path rewrite req.url for their own handlers.
    const path = pathOf(req.url);
    const meta: ObservedRequest = {
      id: randomUUID(),
      ip: clientAddress(req),
      userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
      record: {},
    };
    observations.set(res, meta);
    res.setHeader('x-request-id', meta.id);
    // At 'close', not 'finish': a request whose client left before its answer was all sent (a
    // mutation that ran included) is logged too, as gone, once the work it started is over.
    res.once('close', () => {
      const gone = !res.writableFinished;
      // 499, as proxies log it, when nothing of the answer had been sent.
      const status = gone && !res.headersSent ? CLIENT_GONE_STATUS : res.statusCode;
      const write = () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const { record } = meta;
        const graphql = path === '/graphql' || path === '/graphql/';
        if (graphql) {
          const operationType = record.operationType ?? 'none';
          record.outcome ??= gone ? 'CLIENT_GONE' : outcomeOfStatus(status);
          metrics.requests.inc({ operation_type: operationType, outcome: record.outcome });
          metrics.duration.observe({ operation_type: operationType }, seconds);
        }
        const line = {
          reqId: meta.id,
          method: req.method,
          path: loggedPath(path),
          status,
          durationMs: Math.round(seconds * 1e5) / 100,
          ...(gone ? { clientGone: true } : {}),
          ...record,
        };
        if (QUIET_PATHS.has(path)) {
          logger.debug(line, 'request');
        } else {
          logger.info(line, 'request');
        }
      };
      const work = gone ? unfinished.get(res) : undefined;
      if (work) {
        void work.then(write, write);
      } else {
        write();
      }
    });
    next();
  };
}

/**
 * The outcome of a GraphQL request no step recorded one for. Apollo refuses a request's shape
 * (a possible cross-site request, a batch, a POST without a JSON body) before any plugin sees
 * it, always as 400 BAD_REQUEST, so that status is that code; any other stays its status.
 */
function outcomeOfStatus(status: number): string {
  if (status < 400) {
    return 'ok';
  }
  return status === 400 ? ErrorCode.BAD_REQUEST : `HTTP_${status}`;
}

/** Fills the request record from Apollo's view of the request: operation and outcome. */
export function recordOperations(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, response }) {
          const record = (contextValue.request as Partial<ObservedRequest>).record;
          if (!record) {
            return;
          }
          record.operationType = operation?.operation ?? 'unknown';
          // The name of the operation that ran, never the client's operationName as sent: it may
          // be any text. A name shaped like a secret keeps its display prefix only.
          const name = operation?.name?.value;
          record.operationName = name === undefined ? undefined : maskSecrets(name).slice(0, 100);
          record.tokenId = contextValue.token.id;
          record.tokenPrefix = contextValue.token.prefix;
          const errors =
            response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          record.outcome = errors?.length
            ? typeof code === 'string'
              ? code
              : ErrorCode.INTERNAL_SERVER_ERROR
            : 'ok';
        },
      };
    },
  };
}
