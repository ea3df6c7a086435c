/** Where the API is and which token to send: what every example needs. */
export interface Endpoint {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** An API token's secret (sgp_...). */
  token: string;
}

/**
 * One GraphQL request with plain `fetch`: the data, or an Error whose message starts with the
 * error's code (UNAUTHENTICATED, FORBIDDEN, …) so that a script can tell what went wrong.
 */
export async function graphql<T>(
  endpoint: Endpoint,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${endpoint.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`HTTP ${response.status} from ${endpoint.url}: not a GraphQL response`);
  }
  if (body.errors?.length) {
    const error = body.errors[0];
    throw new Error(`${error.extensions?.code ?? `HTTP ${response.status}`}: ${error.message}`);
  }
  if (!body.data) {
    throw new Error(`HTTP ${response.status}: a GraphQL response without data`);
  }
  return body.data;
}
