import { timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import { ApolloErrorCode, ErrorCode } from '../core/errors';
import type { HttpStep } from './http-steps';
import { refuse } from './transport-errors';

/** On every response: no browser guesses a content type other than the one sent. */
export function securityHeaders(): HttpStep {
  return (_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  };
}

/** An HTTP/1.1 request must name its host (RFC 9112 section 3.2): 400 without a Host header. */
export const hostRequired: HttpStep = (req, res, next) => {
  if (req.headers.host !== undefined || req.httpVersion !== '1.1') {
    next();
    return;
  }
  refuse(res, 400, ErrorCode.BAD_REQUEST, 'An HTTP/1.1 request needs a Host header.');
};

/** The methods of `/graphql`: GraphQL over HTTP is GET and POST; OPTIONS says so. */
const GRAPHQL_METHODS = 'GET, POST, OPTIONS';

/**
 * `OPTIONS /graphql`: what the endpoint allows, whether the CORS step then answers it as a
 * preflight (which ends it) or, without CORS origins or a preflight, it ends here with 204.
 */
export function graphqlOptions(): { allow: HttpStep; answer: HttpStep } {
  return {
    allow: (_req, res, next) => {
      res.setHeader('allow', GRAPHQL_METHODS);
      next();
    },
    answer: (_req, res) => {
      res.statusCode = 204;
      res.end();
    },
  };
}

/**
 * Any method but GET, POST and OPTIONS on `/graphql`: 405 with Allow, before the token is read
 * (Apollo answered it only after authentication, naming itself).
 */
export const graphqlMethods: HttpStep = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'POST') {
    next();
    return;
  }
  res.setHeader('allow', GRAPHQL_METHODS);
  refuse(res, 405, ErrorCode.BAD_REQUEST, 'GraphQL is served over GET and POST only.');
};

/**
 * `/metrics` behind a bearer token (`METRICS_TOKEN`) when one is set; open otherwise. API tokens
 * do not open it: the metrics belong to the operator, not to an organization.
 */
export function metricsGuard(token: string | undefined): RequestHandler {
  const expected = token === undefined ? null : Buffer.from(`Bearer ${token}`);
  return (req: Request, res: Response, next: NextFunction) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (
      expected === null ||
      (given.length === expected.length && timingSafeEqual(given, expected))
    ) {
      next();
      return;
    }
    res
      .status(401)
      .setHeader('www-authenticate', 'Bearer')
      .json({
        errors: [
          {
            message:
              '/metrics needs the METRICS_TOKEN this server was configured with: Authorization: Bearer <METRICS_TOKEN>.',
            extensions: { code: ErrorCode.UNAUTHENTICATED },
          },
        ],
      });
  };
}

/** Subscriptions have no transport here: 400 BAD_REQUEST before execution, not a 200. */
export function refuseSubscriptions(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError(
              'Subscriptions are not supported by this server; poll with a query instead.',
              {
                extensions: {
                  code: ErrorCode.BAD_REQUEST,
                  http: { status: 400, headers: new HeaderMap() },
                },
              },
            );
          }
        },
      };
    },
  };
}

const PERSISTED_QUERY_CODES: ReadonlySet<unknown> = new Set([
  ApolloErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

/**
 * A persisted-query refusal is a request error (nothing ran): 400, as README's "a 200 means the
 * operation ran" says. Apollo answers it 200, a habit of its own for APQ clients; Apollo
 * Client's persisted-query link falls back to sending the text on a 400 as well.
 */
export function persistedQueryRefusalsAre400(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors =
            response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          if (PERSISTED_QUERY_CODES.has(errors?.[0]?.extensions?.code)) {
            response.http.status = 400;
          }
        },
      };
    },
  };
}
