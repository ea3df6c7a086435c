import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../core/errors';
import type { Metrics } from '../core/metrics';

/**
 * Requests that Node's HTTP parser refuses before Express sees them — a request line and headers
 * over its 16 KB limit, bytes that are not HTTP — get the same JSON refusal as every other, not
 * Node's bare status line, and are counted.
 */
export function answerParserRefusals(server: Server, metrics: Metrics): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const message = tooLarge
      ? 'The request line and headers are larger than 16 KB; send a long query in a POST body.'
      : 'The request is not valid HTTP.';
    const body = JSON.stringify({
      errors: [{ message, extensions: { code: ErrorCode.BAD_REQUEST } }],
    });
    metrics.requests.inc({ operation_type: 'none', outcome: ErrorCode.BAD_REQUEST });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
