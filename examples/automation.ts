/**
 * An automation script with a FULL_ACCESS token: opens an incident, posts an update, resolves it,
 * and prints the incident's id.
 *
 *   npm run build
 *   STATUSGRAPH_TOKEN=sgp_... [STATUSGRAPH_BOARD_ID=...] node dist/examples/automation.js "Checkout errors"
 *
 * It retries network errors, never GraphQL errors: a FORBIDDEN or BAD_USER_INPUT answer stays the
 * same however often it is asked. Only Node's global fetch: copy it into any Node >= 20 project.
 */

export interface AutomationOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** Must be FULL_ACCESS: a READ_ONLY token gets FORBIDDEN on the first mutation. */
  token: string;
  /** The board to open the incident on; the organization's first board when omitted. */
  boardId?: string;
  name: string;
  severity?: 'MINOR' | 'MAJOR';
  /** The update posted while the incident is open (phase IDENTIFIED). */
  update?: string;
  /** The closing update's message. */
  resolution?: string;
  /** Attempts per request on network errors, the first included. */
  attempts?: number;
  /** The wait before the first retry; it doubles for each further one. */
  retryDelayMs?: number;
  /** Progress lines (retries); stderr by default. */
  log?: (line: string) => void;
}

export interface AutomationResult {
  incidentId: string;
  phase: string;
  updates: { phase: string; message: string }[];
}

/** A GraphQL error answer: final, never retried. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly requiredPermission?: string,
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }
}

// Failures to connect: the request never reached the server, so even a mutation is safe to send
// again. Any other network failure (a reset mid-response, say) may come after the server made the
// change; retrying a mutation then could open a second incident, so only queries retry those.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function networkErrorCode(error: unknown): string | undefined {
  // fetch rejects with a TypeError whose cause carries the socket error's code. Checked by shape,
  // not instanceof: the error may come from another realm (a VM context, a test sandbox).
  if (typeof error !== 'object' || error === null || !('cause' in error)) {
    return undefined;
  }
  const cause = error.cause;
  if (typeof cause !== 'object' || cause === null) {
    return undefined;
  }
  if ('code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return 'name' in cause && typeof cause.name === 'string' ? cause.name : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function graphql<T>(
  options: AutomationOptions,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const isMutation = /^\s*mutation\b/.test(query);
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    let text: string;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ query, variables }),
      });
      text = await response.text();
    } catch (error) {
      const code = networkErrorCode(error);
      const retryable = code !== undefined && (!isMutation || NOT_SENT.has(code));
      if (!retryable || attempt >= attempts) {
        const outcome =
          code !== undefined && isMutation && !NOT_SENT.has(code)
            ? '; the change may or may not have been made, check before running again'
            : '';
        throw new Error(
          `network error (${code ?? String(error)}) after ${attempt} attempt(s)${outcome}`,
          {
            cause: error,
          },
        );
      }
      const delay = (options.retryDelayMs ?? 500) * 2 ** (attempt - 1);
      log(
        `network error (${code}), retrying in ${delay} ms (attempt ${attempt + 1} of ${attempts})`,
      );
      await sleep(delay);
      continue;
    }
    let body: {
      data?: T | null;
      errors?: { message: string; extensions?: { code?: string; requiredPermission?: string } }[];
    };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new GraphQLRequestError(undefined, `HTTP ${response.status}: not a GraphQL response`);
    }
    if (body.errors?.length) {
      const { message, extensions } = body.errors[0];
      throw new GraphQLRequestError(
        extensions?.code,
        `${extensions?.code ?? `HTTP ${response.status}`}: ${message}`,
        extensions?.requiredPermission,
      );
    }
    if (!body.data) {
      throw new GraphQLRequestError(undefined, `HTTP ${response.status}: no data`);
    }
    return body.data;
  }
}

export async function main(options: AutomationOptions): Promise<AutomationResult> {
  let boardId = options.boardId;
  if (!boardId) {
    const { boards } = await graphql<{ boards: { nodes: { id: string }[] } }>(
      options,
      'query FirstBoard { boards(first: 1) { nodes { id } } }',
      {},
    );
    boardId = boards.nodes[0]?.id;
    if (!boardId) {
      throw new Error('The organization has no board; create one or pass a board id.');
    }
  }
  const { createIncident } = await graphql<{ createIncident: { id: string } }>(
    options,
    `
      mutation Open($input: CreateIncidentInput!) {
        createIncident(input: $input) {
          id
        }
      }
    `,
    { input: { boardId, name: options.name, severity: options.severity ?? 'MAJOR' } },
  );
  const incidentId = createIncident.id;
  await graphql(
    options,
    `
      mutation Update($id: ID!, $input: IncidentUpdateInput!) {
        addIncidentUpdate(incidentId: $id, input: $input) {
          id
        }
      }
    `,
    {
      id: incidentId,
      input: { phase: 'IDENTIFIED', message: options.update ?? 'The cause is identified.' },
    },
  );
  const { resolveIncident } = await graphql<{
    resolveIncident: { phase: string; updates: { phase: string; message: string }[] };
  }>(
    options,
    `
      mutation Resolve($id: ID!, $message: String) {
        resolveIncident(id: $id, message: $message) {
          phase
          updates {
            phase
            message
          }
        }
      }
    `,
    { id: incidentId, message: options.resolution ?? 'Resolved.' },
  );
  return { incidentId, phase: resolveIncident.phase, updates: resolveIncident.updates };
}

if (require.main === module) {
  const token = process.env.STATUSGRAPH_TOKEN;
  const name = process.argv[2];
  if (!token || !name) {
    process.stderr.write(
      'usage: STATUSGRAPH_TOKEN=<full-access token> [STATUSGRAPH_URL=http://localhost:4000/graphql] ' +
        '[STATUSGRAPH_BOARD_ID=<board id>] node dist/examples/automation.js "<incident name>"\n',
    );
    process.exit(2);
  }
  main({
    url: process.env.STATUSGRAPH_URL ?? 'http://localhost:4000/graphql',
    token,
    boardId: process.env.STATUSGRAPH_BOARD_ID || undefined,
    name,
  }).then(
    ({ incidentId }) => process.stdout.write(`${incidentId}\n`),
    (error: unknown) => {
      process.stderr.write(
        `automation failed: ${error instanceof Error ? error.message : error}\n`,
      );
      process.exitCode = 1;
    },
  );
}
