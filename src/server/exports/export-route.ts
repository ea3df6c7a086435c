import { type Request, type Response, Router } from 'express';
import { GraphQLError } from 'graphql';
import { AuthenticationError, ErrorCode } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Metrics } from '../../core/metrics';
import { QUERY_TIMEOUT_RETRY_AFTER_SECONDS } from '../../limits/query-timeout';
import { TOKEN_EXPIRATION_HEADER } from '../../tokens/token-expiration-header';
import type { ContextServices } from '../request-context';
import { requestContext } from '../request-context';
import { observed } from '../request-log';
import { refuse } from '../transport-errors';
import { EXPORT_FORMATS } from './export-formats';
import { type ExportListServices, exportLists } from './export-lists';
import { parseParams, tokenParamIn } from './export-params';
import { ExportSlots } from './export-slots';
import { type ExportStreamServices, streamExport } from './export-stream';

export interface ExportServices extends ContextServices, ExportListServices, ExportStreamServices {
  logger: Logger;
  metrics: Metrics;
}

const PATH = /^\/(incidents|monitors|status-events)\.(ndjson|csv)$/;
const EXPORT_PATHS = ['incidents', 'monitors', 'status-events']
  .map((list) => `/export/${list}.ndjson and .csv`)
  .join(', ');

function unknownExport(res: Response): void {
  refuse(res, 404, ErrorCode.NOT_FOUND, `No such export; the exports are ${EXPORT_PATHS}.`);
}

/**
 * `GET /export/<list>.ndjson|csv` (API.md section 12): authenticated as /graphql is (the
 * per-address failure limit, 401 with a reason), the list's filters from the query string, at
 * most two exports of a token at once, then the rows streamed. Not audited; counted in metrics.
 */
export function exportRoutes(services: ExportServices): Router {
  const router = Router({ caseSensitive: true });
  const lists = exportLists(services);
  const authenticate = requestContext(services);
  const slots = new ExportSlots(2);
  const { metrics, logger } = services;

  // An export is read, never sent: another method on an export's path is 405, not "nothing here";
  // an unknown export is 404 naming those there are, whatever the method.
  router.all('/:file', (req, res, next) => {
    if (!PATH.test(`/${String(req.params.file)}`)) {
      unknownExport(res);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    res.setHeader('allow', 'GET, HEAD');
    refuse(
      res,
      405,
      ErrorCode.BAD_REQUEST,
      'An export is read with GET; send GET with the Authorization header.',
    );
  });

  router.get('/:file', async (req: Request, res: Response) => {
    const match = PATH.exec(`/${String(req.params.file)}`);
    const list = match ? lists.get(match[1]) : undefined;
    const format = match ? EXPORT_FORMATS[match[2] as 'ndjson' | 'csv'] : undefined;
    if (!list || !format || !match) {
      unknownExport(res);
      return;
    }
    const labels = { list: list.name, format: match[2] };
    const outcome = (value: string) => metrics.exports.inc({ ...labels, outcome: value });
    // The query string alone: a target in absolute form (`GET http://host/export/…`) may name
    // a host the URL parser refuses, which is no reason to refuse the export.
    const at = req.originalUrl.indexOf('?');
    const query = new URLSearchParams(at < 0 ? '' : req.originalUrl.slice(at + 1));
    try {
      const actor = await authenticate({ req, res }).catch((error: unknown) => {
        throw tokenInTheUrl(error, query) ?? error;
      });
      if (actor.token.expiresAt) {
        res.setHeader(TOKEN_EXPIRATION_HEADER, actor.token.expiresAt.toISOString());
      }
      const args = parseParams(query, list.params);
      if (req.method === 'HEAD') {
        // What a GET would send, without reading a row.
        res.status(200).type(format.contentType).end();
        return;
      }
      // Held until the response has left this process or its client is gone ('close'), not
      // only until the last row was handed to Node: a reader that stalls keeps its slot while
      // its page waits in memory.
      const leave = slots.enter(actor.token.id);
      if (res.closed) {
        leave();
      } else {
        res.once('close', leave);
      }
      observed(res).record.outcome = 'ok';
      const end = await streamExport(services, {
        actor,
        list,
        args,
        format,
        res,
        onRows: (count) => metrics.exportRows.inc(labels, count),
        reauthenticate: () => authenticate({ req, res }),
      });
      outcome(end);
    } catch (error) {
      if (!res.headersSent) {
        answer(res, error, logger);
        outcome(observed(res).record.outcome ?? 'refused');
      } else {
        // After the first row: no final chunk, so every client reports the export as failed.
        logger.warn({ err: error, list: list.name }, 'export cut off after its first row');
        outcome('cut');
        res.destroy();
      }
    }
  });
  return router;
}

/**
 * No token in the Authorization header, one in the URL: the refusal says where it went wrong
 * ("no API token was sent" reads as if none had been), and that it may now be in logs.
 */
function tokenInTheUrl(error: unknown, query: URLSearchParams): AuthenticationError | undefined {
  const name = tokenParamIn(query);
  if (!(error instanceof AuthenticationError) || error.reason !== 'MISSING' || !name) {
    return undefined;
  }
  return new AuthenticationError(
    'MISSING',
    `No API token was sent in the Authorization header; a token is never taken from the URL (${name}). ` +
      'Send it as "Authorization: Bearer sgp_…", and revoke the one that was in the URL: ' +
      'proxies and browser histories keep URLs.',
  );
}

/** An export refused before its first row: the error's code, status and headers, as JSON. */
function answer(res: Response, error: unknown, logger: Logger): void {
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  if (
    !(error instanceof GraphQLError) ||
    typeof code !== 'string' ||
    code === ErrorCode.INTERNAL_SERVER_ERROR
  ) {
    logger.error({ err: error }, 'export failed before its first row');
    refuse(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
    return;
  }
  const http = error.extensions.http as
    { status?: number; headers?: Iterable<[string, string]> } | undefined;
  for (const [name, value] of http?.headers ?? []) {
    res.setHeader(name, value);
  }
  const status = http?.status ?? STATUS[code] ?? 400;
  if (code === ErrorCode.QUERY_TIMEOUT && !res.hasHeader('retry-after')) {
    // A page's statement ran past QUERY_TIMEOUT_MS: 503 with Retry-After, as a query gets.
    res.setHeader('retry-after', String(QUERY_TIMEOUT_RETRY_AFTER_SECONDS));
  }
  const { http: _http, ...extensions } = error.extensions;
  observed(res).record.outcome = code;
  res.status(status).json({ errors: [{ message: error.message, extensions }] });
}

const STATUS: Record<string, number> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.QUERY_TIMEOUT]: 503,
};
