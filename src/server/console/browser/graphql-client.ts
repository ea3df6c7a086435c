// Every action of the console is one GraphQL request to this server with the pasted token as a
// Bearer token, exactly as a script would send it: the console has no powers of its own.

interface GraphQLErrorJson {
  message: string;
  extensions?: { code?: string; reason?: string };
}

/** 401: the token no longer works (expired, revoked, rotated, deactivated, unknown). */
export class SignedOutError extends Error {
  constructor(
    message: string,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

/** 429: the API asks to wait `retryAfterSeconds` before the next request. */
export class RateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
  }
}

/** Any other refusal (FORBIDDEN, BAD_USER_INPUT, NOT_FOUND…), with the API's own words. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const ENDPOINT = '/graphql';

export async function graphql<TData>(
  secret: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<TData> {
  let response: Response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${secret}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError(
      'The server could not be reached; check that statusgraph is running, then try again.',
      undefined,
    );
  }
  let body: { data?: TData | null; errors?: GraphQLErrorJson[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(
      `The server answered HTTP ${response.status} without a GraphQL response.`,
      undefined,
    );
  }
  const errors = body.errors ?? [];
  const message = errors.map((e) => e.message).join(' ') || `HTTP ${response.status}`;
  if (response.status === 401) {
    throw new SignedOutError(message, errors[0]?.extensions?.reason);
  }
  if (response.status === 429) {
    const header = Number(response.headers.get('retry-after'));
    throw new RateLimitedError(
      message,
      Number.isFinite(header) && header > 0 ? Math.ceil(header) : null,
    );
  }
  if (errors.length > 0 || !body.data) {
    throw new ApiError(message, errors[0]?.extensions?.code);
  }
  return body.data;
}
