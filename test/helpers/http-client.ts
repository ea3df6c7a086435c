import { connect } from 'node:net';
import { logCapture } from './log-capture';

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLErrorJson[];
  text: string;
}

/** A plain GraphQL-over-HTTP client (fetch), as a script or BI tool would send requests. */
export class HttpClient {
  constructor(
    readonly endpoint: string,
    private readonly secret?: string,
    private readonly userAgent = 'statusgraph-tests',
  ) {
    // A secret made by a child server reaches the tests only here: note its hash for the log scan.
    if (secret !== undefined) {
      logCapture.knowSecret(secret);
    }
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      ...(this.secret === undefined ? {} : { authorization: `Bearer ${this.secret}` }),
      ...extra,
    };
  }

  async request<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<TData>> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { data?: TData | null; errors?: GraphQLErrorJson[] };
    return { status: response.status, headers: response.headers, text, ...body };
  }

  /** Like request, but fails the test on any error, returning the data. */
  async data<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<TData> {
    const response = await this.request<TData>(query, variables);
    if (response.errors?.length || !response.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
    }
    return response.data;
  }
}

/**
 * Raw bytes to the server at `url` (its host and port), for what fetch will not send (a request
 * target in absolute form, CONNECT, bytes that are not HTTP); all it answers until it closes the
 * connection.
 */
export function rawHttp(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
