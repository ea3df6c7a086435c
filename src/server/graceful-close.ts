import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * Closes an HTTP server without cutting a response short. `http.Server.close()` destroys every
 * connection it deems idle, and a keep-alive connection counts as idle as soon as its response
 * has ended — while a large body may still be leaving the socket's buffer. Here: stop accepting,
 * end idle sockets gracefully (the FIN follows any buffered data) once a request that already
 * reached them has had a moment to be read (and then answered), let each request in flight
 * answer with `Connection: close` (or end its socket once it finishes), and destroy what is left
 * only after `graceMs`.
 */
export function trackConnections(server: Server): { close(graceMs: number): Promise<void> } {
  const sockets = new Set<Socket>();
  const responses = new Map<Socket, ServerResponse>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // First among the request listeners, so the header is set before any handler answers.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      // A request read after the close began: answered, then its connection ends.
      res.setHeader('connection', 'close');
    }
    responses.set(req.socket, res);
    res.once('close', () => {
      if (responses.get(req.socket) === res) {
        responses.delete(req.socket);
      }
    });
  });

  return {
    close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) =>
        NetServer.prototype.close.call(server, () => resolve()),
      );
      for (const socket of sockets) {
        const res = responses.get(socket);
        if (!res || res.writableEnded) {
          endIfStillIdle(socket, responses);
        } else if (!res.headersSent) {
          res.setHeader('connection', 'close');
        } else {
          res.once('finish', () => socket.end());
        }
      }
      const deadline = setTimeout(() => sockets.forEach((socket) => socket.destroy()), graceMs);
      return closed.finally(() => clearTimeout(deadline));
    },
  };
}

/** How long a connection with no response in flight may still deliver a request at shutdown. */
const ARRIVAL_GRACE_MS = 250;

/**
 * Ends a connection that has no response in flight once bytes that already reached the server
 * have had their chance to be read: a request sent just before the close (in the socket's buffer,
 * not yet parsed) is then answered, with `Connection: close`, instead of being cut.
 */
function endIfStillIdle(socket: Socket, responses: Map<Socket, ServerResponse>): void {
  const timer = setTimeout(() => {
    const res = responses.get(socket);
    if (!res || res.writableEnded) {
      socket.end();
    }
  }, ARRIVAL_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
