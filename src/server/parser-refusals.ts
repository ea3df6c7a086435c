import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Metrics } from '../core/metrics';

/**
 * Requests that Node's HTTP parser refuses before Express sees them — a request line and headers
 * over its 16 KB limit, bytes that are not HTTP, a CONNECT, which Node hands to no route — get the
 * same JSON refusal as every other (with its request id and `nosniff`), not Node's bare status
 * line or a closed socket, and are counted and logged.
 */
export function answerParserRefusals(server: Server, metrics: Metrics, logger: Logger): void {
  const refuse = (socket: Duplex, refusal: Refusal) => {
    const reqId = randomUUID();
    refuseOnSocket(socket, reqId, refusal);
    metrics.requests.inc({ operation_type: 'none', outcome: ErrorCode.BAD_REQUEST });
    // Nothing of the request is logged but what the parser said of it: its bytes are not HTTP.
    logger.info(
      {
        reqId,
        method: refusal.method,
        status: refusal.status,
        outcome: ErrorCode.BAD_REQUEST,
        reason: refusal.reason,
      },
      'request',
    );
  };
  // The last request read on each connection, whose answer comes last (pipelined requests are
  // answered in order), and the connections already ending after it.
  const lastAnswer = new WeakMap<Duplex, ServerResponse>();
  const ending = new WeakSet<Duplex>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    lastAnswer.set(req.socket, res),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (ending.has(socket)) {
      return;
    }
    // The client closed the connection (mid-request, or after one): nobody to answer, and the
    // request it left, if any, is logged as gone by its own step.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Bytes that are not HTTP after requests read whole and still being answered: their answers
    // go first (their operations ran), then the connection ends; the bytes get none, and nothing
    // more is read. A request still arriving (its body cut by the bytes, or late) is not waited
    // for: its refusal is the answer.
    const last = lastAnswer.get(socket);
    if (last && !last.writableFinished && last.req.complete) {
      ending.add(socket);
      socket.pause();
      last.shouldKeepAlive = false;
      last.once('close', () => socket.destroy());
      return;
    }
    refuse(socket, { ...(PARSER_ERRORS[error.code ?? ''] ?? NOT_HTTP), reason: error.code });
  });
  // CONNECT (a tunnel through a proxy) reaches no route: Node would close the socket unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    refuse(socket, {
      status: 405,
      message: 'This is not a proxy: CONNECT is not served.',
      allow: 'GET, POST',
      method: 'CONNECT',
    });
  });
}

/** The answer to what the parser refused, by its error's code; anything else is not HTTP. */
const PARSER_ERRORS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    message:
      'The request line and headers are larger than 16 KB; send a long query in a POST body.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request did not arrive in time; send it whole.',
  },
};
const NOT_HTTP = { status: 400, message: 'The request is not valid HTTP.' };

interface Refusal {
  status: number;
  message: string;
  allow?: string;
  method?: string;
  /** The parser's error code, when it refused. */
  reason?: string;
}

function refuseOnSocket(socket: Duplex, reqId: string, refusal: Refusal): void {
  const body = JSON.stringify({
    errors: [{ message: refusal.message, extensions: { code: ErrorCode.BAD_REQUEST } }],
  });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      `X-Request-Id: ${reqId}\r\n` +
      (refusal.allow ? `Allow: ${refusal.allow}\r\n` : '') +
      'Connection: close\r\n\r\n' +
      body,
  );
}
