import type { ServerResponse } from 'node:http';
import accepts from 'accepts';
import express from 'express';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import type { HttpErrorStep, HttpStep } from './http-steps';
import { observed } from './request-log';

/** A refusal in the shape of GraphQL's errors, counted by the request log under its code. */
export function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  observed(res).record.outcome = code;
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Refuses, before anything runs, a GraphQL request whose Accept header allows neither JSON answer
 * (406). Apollo checks it only once the operation has executed: a mutation sent so ran, and its
 * client was told it had failed (and might send it again).
 */
export const acceptsJsonAnswer: HttpStep = (req, res, next) => {
  if (accepts(req).type(['application/json', 'application/graphql-response+json'])) {
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

/** A body the JSON step could not read (a compressed one that does not inflate, say). */
const UNREADABLE_BODY = 'body.unreadable';

/**
 * The JSON body (`req.body`), at most `limit` bytes. body-parser's errors carry a type, but not
 * those of a stream that fails (a gzip body that does not inflate): without one, such a
 * client error would read as the static files' "nothing here".
 */
export function jsonBody(limit: number): HttpStep {
  const parse = express.json({ limit });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if (typeof error === 'object' && error !== null && !('type' in error)) {
        Object.assign(error, { type: UNREADABLE_BODY });
      }
      next(error);
    });
}

const isClientError = (status: number | undefined) =>
  status !== undefined && status >= 400 && status < 500;

/** Transport refusals (a body that is not JSON, too large) get the same JSON shape as GraphQL's. */
export const transportErrors =
  (logger: Logger): HttpErrorStep =>
  (thrown, _req, res, _next) => {
    if (res.headersSent) {
      // Too late for a refusal: the connection ends, so the client sees the answer was cut.
      logger.error({ err: thrown }, 'HTTP error after the answer began');
      res.destroy();
      return;
    }
    const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as {
      type?: string;
      status?: number;
    };
    if (error.type === 'request.aborted') {
      // The client left while its body was being read: nobody to answer; logged as gone (499).
      res.destroy();
    } else if (error.type === 'entity.too.large') {
      refuse(
        res,
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        'The request body is larger than 1 MB; send a smaller request.',
      );
    } else if (error.type === UNREADABLE_BODY && isClientError(error.status)) {
      refuse(
        res,
        400,
        ErrorCode.BAD_REQUEST,
        'The request body could not be read: send JSON, compressed only as its Content-Encoding says.',
      );
    } else if (error.type === 'encoding.unsupported') {
      refuse(
        res,
        415,
        ErrorCode.BAD_REQUEST,
        'The request body’s Content-Encoding is not supported: send it uncompressed, or as gzip, deflate or br.',
      );
    } else if (error.type === 'charset.unsupported') {
      refuse(
        res,
        415,
        ErrorCode.BAD_REQUEST,
        'The request body’s charset is not supported: send UTF-8.',
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
      logger.error({ err: thrown }, 'unexpected HTTP error');
      refuse(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
    }
  };
