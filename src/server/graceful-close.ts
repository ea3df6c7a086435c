import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * Closes an HTTP server without cutting a response short. `http.Server.close()` destroys every
 * connection it deems idle, and a keep-alive connection counts as idle as soon as its response
 * has ended — while a large body may still be leaving the socket's buffer. Here: stop accepting,
 * end idle sockets gracefully (the FIN follows any buffered data), let each request in flight
 * answer with `Connection: close` (or end its socket once it finishes), and destroy what is left
 * only after `graceMs`.
 */
export function trackConnections(server: Server): { close(graceMs: number): Promise<void> } {
  const sockets = new Set<Socket>();
  const responses = new Map<Socket, ServerResponse>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    responses.set(req.socket, res);
    res.once('close', () => {
      if (responses.get(req.socket) === res) {
        responses.delete(req.socket);
      }
    });
  });

  return {
    close(graceMs) {
      const closed = new Promise<void>((resolve) =>
        NetServer.prototype.close.call(server, () => resolve()),
      );
      for (const socket of sockets) {
        const res = responses.get(socket);
        if (!res || res.writableEnded) {
          socket.end();
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
