import { Agent, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { capturedLogLines } from './test-app';

/**
 * The fuzz test's wire and judge (test/e2e/fuzz.test.ts): requests sent exactly as generated,
 * and the rules every response must satisfy whatever was sent.
 */

interface WireRequest {
  method: string;
  /** Path and query string, e.g. `/graphql?query=...`. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | Uint8Array;
}

interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export const agent = new Agent({ keepAlive: true, maxSockets: 4 });
let requestsSent = 0;

export function send(base: URL, request: WireRequest): Promise<WireResponse> {
  const headers: OutgoingHttpHeaders = { ...request.headers };
  if (request.body !== undefined) {
    headers['content-length'] = Buffer.byteLength(request.body);
  }
  requestsSent++;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.path,
        headers,
        agent,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.setTimeout(20_000, () => outgoing.destroy(new Error('no response within 20 s')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

// ---------------------------------------------------------------------------------------------
// What every response must satisfy.

/** API.md §7: the only codes a client may see. */
const CONTRACT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'RATE_LIMITED',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PAYLOAD_TOO_LARGE',
  'QUERY_TIMEOUT',
  'INTERNAL_SERVER_ERROR',
]);
const AUTH_REASONS = new Set(['MISSING', 'MALFORMED', 'UNKNOWN', 'EXPIRED', 'INACTIVE', 'REVOKED']);

/** Planted in every generated string value; an error that repeats it echoes a submitted value. */
export const CANARY = 'qzcanary';
const STACK_FRAME = /\n\s+at |^\s+at |\bat [^\s"]+ \(?[^\s"]*:\d+:\d+\)?/m;
export const SQL =
  /SELECT .* FROM|INSERT INTO|UPDATE .* SET|DELETE FROM|SQLITE_|syntax error at or near|QueryFailedError|violates .* constraint|relation "|duplicate key/i;
/** A whole secret (API.md §2): `sgp_` + 30 random characters + a 6-character checksum. */
export const SECRET = /sgp_[0-9A-Za-z]{36}/;
/** What JavaScript or a driver says when something breaks inside, not what a client did. */
const ENGINE_MESSAGE =
  /Maximum call stack|Cannot read propert|is not a function|\b(TypeError|RangeError|ReferenceError)\b|ECONN|ETIMEDOUT|EPIPE|QueryRunner|EntityMetadata/;
const INTERNAL_KEYS = /"(stacktrace|exception|originalError|sql|query_text|driverError)"\s*:/i;

export interface FuzzContext {
  base: URL;
  secrets: { full: string; readOnly: string };
  /** Secrets of the fixture tokens: never in any response. */
  knownSecrets: string[];
  /** A credential stored in a monitor's requestHeaders: a READ_ONLY token must never see it. */
  monitorCredential: string;
  ids: string[];
  cursors: string[];
}

export type Identity = 'full' | 'readOnly' | 'none';

export function authorization(ctx: FuzzContext, identity: Identity): Record<string, string> {
  return identity === 'none' ? {} : { authorization: `Bearer ${ctx.secrets[identity]}` };
}

function headerValue(headers: Record<string, string | string[]>, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** Throws, with the response, when the response breaks a rule; fast-check reports the input. */
function verify(ctx: FuzzContext, request: WireRequest, response: WireResponse): void {
  const fail = (rule: string): never => {
    throw new Error(`${rule}\nHTTP ${response.status}\n${response.text.slice(0, 3000)}`);
  };
  if (response.status >= 500) {
    fail('a 5xx status');
  }
  for (const secret of ctx.knownSecrets) {
    if (response.text.includes(secret)) {
      fail("a fixture token's secret in the response");
    }
  }
  const contentType = String(response.headers['content-type'] ?? '');
  if (contentType.startsWith('text/html')) {
    // Only the playground, only for a browser's GET.
    if (
      request.method !== 'GET' ||
      !headerValue(request.headers, 'accept').includes('text/html') ||
      response.status !== 200 ||
      !response.text.startsWith('<!doctype html>')
    ) {
      fail('an HTML response that is not the playground for a browser GET');
    }
    return;
  }
  if (!/^application\/(graphql-response\+)?json\b/.test(contentType)) {
    fail(`content-type ${contentType}, not JSON`);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    fail('a body that is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    fail('a JSON body that is not an object');
  }
  const { errors } = body as { errors?: unknown };
  if (response.status >= 400 && (!Array.isArray(errors) || errors.length === 0)) {
    fail('a refusal without errors');
  }
  if (errors === undefined) {
    return;
  }
  if (!Array.isArray(errors)) {
    fail('errors is not a list');
  }
  const errorText = JSON.stringify(errors);
  for (const error of errors as { message?: unknown; extensions?: Record<string, unknown> }[]) {
    if (typeof error.message !== 'string' || error.message.length === 0) {
      fail('an error without a message');
    }
    const code = error.extensions?.code;
    if (typeof code !== 'string' || !CONTRACT_CODES.has(code)) {
      fail(`an error code outside API.md §7: ${String(code)}`);
    }
    if (code === 'INTERNAL_SERVER_ERROR') {
      fail('an INTERNAL_SERVER_ERROR: something unexpected failed (see the log)');
    }
    if (code === 'UNAUTHENTICATED') {
      if (response.status !== 401 || response.headers['www-authenticate'] !== 'Bearer') {
        fail('UNAUTHENTICATED without 401 and WWW-Authenticate: Bearer');
      }
      if (!AUTH_REASONS.has(String(error.extensions?.reason))) {
        fail('UNAUTHENTICATED without a documented reason');
      }
    }
  }
  if (STACK_FRAME.test(errorText)) {
    fail('a stack frame in an error');
  }
  if (INTERNAL_KEYS.test(errorText)) {
    fail('internals in an error');
  }
  if (ENGINE_MESSAGE.test(errorText)) {
    fail('an engine error message in an error');
  }
  if (SQL.test(errorText)) {
    fail('SQL in an error');
  }
  if (SECRET.test(errorText)) {
    fail('a secret in an error');
  }
  // A Name in the document is structure, not a submitted value: "Unexpected Name "…"" may show it,
  // the canary anywhere in it (a query string `Aqzcanary` is one Name).
  if (errorText.replace(/Name \\"\w*\\"/g, '').includes(CANARY)) {
    fail('a submitted value echoed in an error');
  }
  if (
    headerValue(request.headers, 'authorization') === `Bearer ${ctx.secrets.readOnly}` &&
    response.text.includes(ctx.monitorCredential)
  ) {
    fail("a monitor's requestHeaders shown to a READ_ONLY token");
  }
}

export interface Mark {
  requests: number;
  logLines: number;
}

export const mark = (): Mark => ({ requests: requestsSent, logLines: capturedLogLines.length });

/** Log lines at error level or above (pino: 50 error, 60 fatal). */
export function errorLogLines(from: number): string[] {
  return capturedLogLines.slice(from).filter((line) => {
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return false;
    }
  });
}

/** With FUZZ_STATS=1, the mix of outcomes is printed at the end (to tune the generators). */
export const outcomes = new Map<string, number>();

function tally(response: WireResponse): void {
  let code = '-';
  try {
    const body = JSON.parse(response.text) as { errors?: { extensions?: { code?: string } }[] };
    code = body.errors?.[0]?.extensions?.code ?? 'data';
  } catch {
    code = 'not JSON';
  }
  const key = `${expect.getState().currentTestName} | ${response.status} ${code}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}

export async function exchange(ctx: FuzzContext, request: WireRequest): Promise<void> {
  const logMark = capturedLogLines.length;
  const response = await send(ctx.base, request);
  if (process.env.FUZZ_STATS) {
    tally(response);
  }
  verify(ctx, request, response);
  const logged = errorLogLines(logMark);
  if (logged.length > 0) {
    throw new Error(`the server logged an error:\n${logged.join('\n').slice(0, 3000)}`);
  }
}
