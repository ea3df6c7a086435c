import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import { observed } from './request-log';

/** A refusal in the shape of GraphQL's errors, counted by the request log under its code. */
export function refuse(res: Response, status: number, code: string, message: string): void {
  observed(res).record.outcome = code;
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * Refuses, before anything runs, a GraphQL request whose Accept header allows neither JSON answer
 * (406). Apollo checks it only once the operation has executed: a mutation sent so ran, and its
 * client was told it had failed (and might send it again).
 */
export const acceptsJsonAnswer: RequestHandler = (req, res, next) => {
  if (req.accepts(['application/json', 'application/graphql-response+json'])) {
    next();
    return;
  }
  refuse(
    res,
    406,
    ErrorCode.BAD_REQUEST,
    'The Accept header allows no answer this API sends: accept application/json or ' +
      'application/graphql-response+json, or send no Accept header.',
  );
};

const isClientError = (status: number | undefined) =>
  status !== undefined && status >= 400 && status < 500;

/** Transport refusals (a body that is not JSON, too large) get the same JSON shape as GraphQL's. */
export const transportErrors =
  (logger: Logger): ErrorRequestHandler =>
  (error: { type?: string; status?: number }, _req, res, _next) => {
    if (error.type === 'entity.too.large') {
      refuse(
        res,
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        'The request body is larger than 1 MB; send a smaller request.',
      );
    } else if (error.status === 404 || (error.type === undefined && isClientError(error.status))) {
      // express.static refuses a path that climbs out of its folder (403) or does not decode
      // (400): for the client, nothing is there.
      refuse(res, 404, ErrorCode.NOT_FOUND, 'Nothing here: the API is at /graphql.');
    } else if (isClientError(error.status)) {
      refuse(
        res,
        400,
        ErrorCode.BAD_REQUEST,
        'The request body is not valid JSON; send a JSON object.',
      );
    } else {
      logger.error({ err: error }, 'unexpected HTTP error');
      refuse(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
    }
  };
