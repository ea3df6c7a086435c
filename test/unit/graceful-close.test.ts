import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { trackConnections } from '../../src/server/graceful-close';

/**
 * Issue 14 item 11: a request whose bytes reached the server before shutdown began is answered.
 * The bytes are written to a loopback socket (the kernel delivers them to the server's receive
 * buffer during the write) and the close starts in the same tick, before the server's event loop
 * could read them: exactly the request that "arrived but was not yet read".
 */
describe('graceful close', () => {
  let server: Server;
  let port: number;
  let tracker: ReturnType<typeof trackConnections>;
  const clients: Socket[] = [];

  beforeEach(async () => {
    server = createServer((_req, res) => {
      res.end('answered');
    });
    tracker = trackConnections(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterEach(() => {
    clients.splice(0).forEach((client) => client.destroy());
    server.closeAllConnections();
  });

  /** A connection the server has accepted, and everything it will receive until the end. */
  async function open(): Promise<{ socket: Socket; received: Promise<string> }> {
    const accepted = new Promise<void>((done) => server.once('connection', () => done()));
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    await new Promise<void>((done) => socket.once('connect', done));
    await accepted;
    const received = new Promise<string>((done) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => done(text));
      socket.on('error', () => undefined);
    });
    return { socket, received };
  }

  it('answers a request that arrived but was not yet read when the close began', async () => {
    const { socket, received } = await open();
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const closed = tracker.close(5000);
    const text = await received;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toMatch(/connection: close/i);
    expect(text).toMatch(/answered$/);
    await closed;
  });

  it('still ends an idle keep-alive connection, and resolves well before the grace period', async () => {
    const { socket, received } = await open();
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    // Wait for the first response: the connection is then idle.
    await new Promise<void>((done) => socket.once('data', () => done()));
    let ended = false;
    void received.then(() => (ended = true));
    await tracker.close(60_000);
    await received;
    expect(ended).toBe(true);
  });
});
