import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import type { HttpStep } from './http-steps';
import { logAfter } from './request-log';
import { searchOf } from './request-target';

/** A request once its JSON body is read (`express.json()` sets `body`; a GET has none). */
export type GraphQLHttpRequest = IncomingMessage & { body?: unknown };

/** What the context function gets: the request and its response. */
export interface GraphQLHttpContextArgument {
  req: GraphQLHttpRequest;
  res: ServerResponse;
}

/**
 * Apollo Server on Node's own request and response: its HTTP request from the method, headers,
 * query string and parsed body, and its answer written back. The integration Apollo documents
 * for a framework of one's own ("Building integrations"), so that `POST /graphql` needs nothing
 * of Express (http-app.ts); Express's routes use the same step.
 */
export function graphqlHttp<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (argument: GraphQLHttpContextArgument) => Promise<TContext>,
): HttpStep {
  return (req: GraphQLHttpRequest, res, next) => {
    if (res.closed) {
      // The client left while its body was read (a compressed one inflates on the thread pool):
      // nothing of its operation runs, as its log line, written when it left, says.
      return;
    }
    const work = answer(apollo, context, req, res);
    logAfter(res, work);
    work.catch((error: unknown) => next(error ?? new Error('Apollo failed without an error')));
  };
}

async function answer<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (argument: GraphQLHttpContextArgument) => Promise<TContext>,
  req: GraphQLHttpRequest,
  res: ServerResponse,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: (req.method ?? 'GET').toUpperCase(),
      headers,
      search: searchOf(req.url),
      body: req.body,
    },
    context: () => context({ req, res }),
  });
  for (const [name, value] of response.headers) {
    res.setHeader(name, value);
  }
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.setHeader('content-length', Buffer.byteLength(response.body.string));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) {
    res.write(chunk);
  }
  res.end();
}
