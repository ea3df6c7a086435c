import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { type AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import { type GraphQLHttpRequest, graphqlHttp } from '../../src/server/graphql-http';
import { searchOf } from '../../src/server/request-target';
import { type HttpErrorStep, type HttpStep, runSteps } from '../../src/server/http-steps';
import { transportErrors } from '../../src/server/transport-errors';
import { createLogger } from '../../src/core/logger';

/** The hot path's step runner (src/server/http-steps.ts) on a real server of its own. */
describe('runSteps', () => {
  let server: Server;
  let url: string;
  let handler: (req: Parameters<HttpStep>[0], res: Parameters<HttpStep>[1]) => void;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const trail =
    (name: string): HttpStep =>
    (_req, res, next) => {
      res.setHeader('x-trail', `${String(res.getHeader('x-trail') ?? '')}${name}`);
      next();
    };
  const answer: HttpStep = (_req, res) => res.end('answered');
  const refusal: HttpErrorStep = (error, _req, res) => {
    res.statusCode = 418;
    res.end(error instanceof Error ? error.message : String(error));
  };

  it('runs the steps in order until one answers', async () => {
    const late: HttpStep = () => {
      throw new Error('a step after the answer ran');
    };
    handler = runSteps([trail('a'), trail('b'), answer, late], refusal);
    const response = await fetch(url);
    expect([response.status, response.headers.get('x-trail'), await response.text()]).toEqual([
      200,
      'ab',
      'answered',
    ]);
  });

  it.each([
    ['passed to next', ((_req, _res, next) => next(new Error('passed'))) as HttpStep, 'passed'],
    [
      'thrown',
      (() => {
        throw new Error('thrown');
      }) as HttpStep,
      'thrown',
    ],
  ])(
    'gives an error %s to the error step, and runs no later step',
    async (_how, failing, message) => {
      handler = runSteps([trail('a'), failing, trail('b'), answer], refusal);
      const response = await fetch(url);
      expect([response.status, response.headers.get('x-trail'), await response.text()]).toEqual([
        418,
        'a',
        message,
      ]);
    },
  );

  it('goes on at next(null), as Express does', async () => {
    const goOn: HttpStep = (_req, _res, next) => (next as (error: null) => void)(null);
    handler = runSteps([trail('a'), goOn, trail('b'), answer], refusal);
    const response = await fetch(url);
    expect([response.status, response.headers.get('x-trail')]).toEqual([200, 'ab']);
  });

  it('gives a request no step answered to the error step instead of leaving it hanging', async () => {
    handler = runSteps([trail('a'), trail('b')], refusal);
    const response = await fetch(url);
    expect([response.status, await response.text()]).toEqual([418, 'no step answered the request']);
  });

  it('gives an error after the answer began to the error step too: transportErrors logs it and ends the connection', async () => {
    const halfway: HttpStep = (_req, res, next) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      next(new Error('after the head'));
    };
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    handler = runSteps([halfway], transportErrors(logger));
    // Cut before its 100 bytes: the client never gets a whole answer, nor a refusal's.
    await expect(fetch(url).then((response) => response.text())).rejects.toThrow();
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        msg: 'HTTP error after the answer began',
        err: expect.objectContaining({ message: 'after the head' }),
      }),
    ]);
  });
});

describe('graphqlHttp', () => {
  it('runs nothing of an operation whose client left while its body was read (review)', async () => {
    const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: {} });
    await apollo.start();
    let contexts = 0;
    const operation = graphqlHttp(apollo, async () => {
      contexts++;
      return {};
    });
    // As a compressed body read on the thread pool: the step goes on only once the client left.
    const slowBody: HttpStep = (req: GraphQLHttpRequest, res, next) => {
      req.body = { query: '{ ok }' };
      res.once('close', () => {
        next();
        // Apollo reaches the context function in microtasks: all run before the next turn.
        setImmediate(() => left(contexts));
      });
    };
    let left: (contexts: number) => void = () => undefined;
    const contextsOnceLeft = new Promise<number>((done) => (left = done));
    const server = createServer(runSteps([slowBody, operation], () => undefined));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((sent, failed) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.write(
            'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n',
            () => {
              socket.destroy();
              sent();
            },
          ),
        );
        socket.on('error', failed);
      });
      expect(await contextsOnceLeft).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await apollo.stop();
    }
  });
});

describe('searchOf', () => {
  it.each([
    ['/graphql', ''],
    ['/graphql?query=%7Bx%7D', '?query=%7Bx%7D'],
    ['/graphql?query=x#part', '?query=x'],
    ['/graphql#part?query=x', ''],
    ['/?', '?'],
    [undefined, ''],
  ])('of %s is %s', (url, search) => {
    expect(searchOf(url)).toBe(search);
  });
});
