import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../core/errors';
import type { Metrics } from '../core/metrics';

/**
 * Requests that Node's HTTP parser refuses before Express sees them — a request line and headers
 * over its 16 KB limit, bytes that are not HTTP, a CONNECT, which Node hands to no route — get the
 * same JSON refusal as every other, not Node's bare status line or a closed socket, and are counted.
 */
export function answerParserRefusals(server: Server, metrics: Metrics): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    refuseOnSocket(
      socket,
      tooLarge ? 431 : 400,
      tooLarge
        ? 'The request line and headers are larger than 16 KB; send a long query in a POST body.'
        : 'The request is not valid HTTP.',
    );
    metrics.requests.inc({ operation_type: 'none', outcome: ErrorCode.BAD_REQUEST });
  });
  // CONNECT (a tunnel through a proxy) reaches no route: Node would close the socket unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    refuseOnSocket(socket, 405, 'This is not a proxy: CONNECT is not served.', 'GET, POST');
    metrics.requests.inc({ operation_type: 'none', outcome: ErrorCode.BAD_REQUEST });
  });
}

function refuseOnSocket(socket: Duplex, status: number, message: string, allow?: string): void {
  const body = JSON.stringify({
    errors: [{ message, extensions: { code: ErrorCode.BAD_REQUEST } }],
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (allow ? `Allow: ${allow}\r\n` : '') +
      'Connection: close\r\n\r\n' +
      body,
  );
}
