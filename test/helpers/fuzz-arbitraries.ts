import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CANARY, type FuzzContext, type Identity, authorization } from './fuzz-http';

/**
 * The fuzz test's generators (test/e2e/fuzz.test.ts): documents from the schema and token edits
 * of them, variables of plausible and wrong types, JSON bodies, headers. Values that depend on
 * the fixture (ids, cursors, secrets) come from the FuzzContext.
 */

const SCHEMA_NAMES = [
  ...new Set(
    readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8').match(/\b[A-Za-z_]\w*\b/g),
  ),
];

/** Strings that tend to break things, each carrying the canary where it is a value. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => CANARY + s),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s + CANARY),
  fc.constantFrom(
    '',
    ' ',
    `${CANARY}\u0000`,
    `a\u0000${CANARY}`,
    `${CANARY}\ud800`,
    `\u202e${CANARY}`,
    `${CANARY}' OR 1=1 --`,
    `"; DROP TABLE api_token; -- ${CANARY}`,
    `${CANARY}%s%n{0}$\{x}`,
    'x'.repeat(101),
    `${CANARY}${'x'.repeat(10_001)}`,
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    '2027-13-45T25:61:61.000Z',
    '2027-01-01T00:00:00.000Z',
    '1970-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '+275760-09-13T00:00:00.000Z',
    `${CANARY}://user:pass@example.com`,
    `https://user:${CANARY}@example.com/`,
    'https://example.com/health',
  ),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -1,
    1000,
    1001,
    1441,
    2 ** 31,
    -(2 ** 31) - 1,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1e308,
    0.5,
    -0,
  ),
);

/** A cursor-shaped string: base64 of random JSON, or a real cursor with a character changed. */
const cursorLike = (ctx: FuzzContext) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
    fc
      .tuple(fc.constantFrom(...ctx.cursors), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([c, at, ch]) => c.slice(0, at % c.length) + ch + c.slice((at % c.length) + 1)),
    fc.constantFrom(...ctx.cursors),
    nastyString,
  );

/** A secret-shaped string whose checksum is valid (so it reaches the database look-up). */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const wellFormedSecret = fc
  .array(fc.constantFrom(...BASE62), { minLength: 30, maxLength: 30 })
  .map((chars) => {
    const random = chars.join('');
    let sum = '';
    for (let rest = crc32(random); rest > 0; rest = Math.floor(rest / 62)) {
      sum = BASE62[rest % 62] + sum;
    }
    return `sgp_${random}${sum.padStart(6, '0')}`;
  });

const deepArray = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) {
    value = [value];
  }
  return value;
};

/** Any value, of any type, for a variable or an input field. */
export const wild = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 800 }).map(deepArray) },
  { weight: 1, arbitrary: wellFormedSecret },
);

/** Mostly a plausible value, sometimes anything. */
const field = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 12, arbitrary: plausible }, { weight: 1, arbitrary: wild });

const anyId = (ctx: FuzzContext) => fc.oneof(fc.constantFrom(...ctx.ids), fc.uuid(), nastyString);
const enumOf = (...values: string[]) =>
  fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...values) }, nastyString);
const dateTime = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  nastyString,
);
const firstArg = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 1005 }) },
  nastyNumber,
);
const PHASES = [
  'INVESTIGATING',
  'IDENTIFIED',
  'MONITORING',
  'RESOLVED',
  'SCHEDULED',
  'IN_PROGRESS',
  'VERIFYING',
  'COMPLETED',
];
const SEVERITIES = ['MINOR', 'MAJOR', 'MAINTENANCE'];
const STATUSES = ['UP', 'WARN', 'DOWN', 'MAINTENANCE', 'UNKNOWN'];
const header = fc.record({ name: field(nastyString), value: field(nastyString) });
/** Every field for four in five, else any subset (required ones missing included). */
const partial = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record(model) },
    { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) },
  );

interface Operation {
  query: string;
  variables: (ctx: FuzzContext) => fc.Arbitrary<Record<string, unknown>>;
}

/** Real operations of the schema, with variables of plausible and wrong types. */
export const OPERATIONS: Operation[] = [
  {
    query: `query Incidents($first: Int, $after: String, $filter: IncidentFilter, $orderBy: IncidentOrder!) {
      incidents(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id name severity phase startedAt deletedAt board { id name }
          monitors { id displayName requestHeaders { name value } } updates { id phase message } } }
      }
    }`,
    variables: (ctx) =>
      partial({
        first: firstArg,
        after: cursorLike(ctx),
        orderBy: field(enumOf('STARTED_AT_DESC', 'STARTED_AT_ASC', 'UPDATED_AT_ASC')),
        filter: field(
          partial({
            boardId: field(anyId(ctx)),
            monitorId: field(anyId(ctx)),
            phase: field(enumOf(...PHASES)),
            severity: field(enumOf(...SEVERITIES)),
            startedAfter: field(dateTime),
            startedBefore: field(dateTime),
            updatedAfter: field(dateTime),
            includeDeleted: field(fc.boolean()),
          }),
        ),
      }),
  },
  {
    query: `mutation CreateIncident($input: CreateIncidentInput!) {
      createIncident(input: $input) { id name phase severity startedAt willStartAt willEndAt }
    }`,
    variables: (ctx) =>
      fc.record({
        input: field(
          partial({
            boardId: field(anyId(ctx)),
            name: field(nastyString),
            severity: field(enumOf(...SEVERITIES)),
            details: field(nastyString),
            monitorIds: field(fc.array(anyId(ctx), { maxLength: 5 })),
            phase: field(enumOf(...PHASES)),
            startedAt: field(dateTime),
            willStartAt: field(dateTime),
            willEndAt: field(dateTime),
          }),
        ),
      }),
  },
  {
    query: `mutation UpdateMonitor($id: ID!, $input: UpdateMonitorInput!) {
      updateMonitor(id: $id, input: $input) {
        id displayName url host serviceName checkIntervalMinutes requestHeaders { name value }
      }
    }`,
    variables: (ctx) =>
      partial({
        id: field(anyId(ctx)),
        input: field(
          partial({
            boardId: field(anyId(ctx)),
            displayName: field(nastyString),
            url: field(nastyString),
            host: field(nastyString),
            serviceName: field(nastyString),
            checkIntervalMinutes: field(nastyNumber),
            requestHeaders: field(fc.array(header, { maxLength: 4 })),
            monitorType: field(enumOf('SERVICE', 'WEBSITE', 'PING', 'CUSTOM')),
          }),
        ),
      }),
  },
  {
    query: `mutation CreateMonitor($input: CreateMonitorInput!) {
      createMonitor(input: $input) { id url requestHeaders { name value } }
    }`,
    variables: (ctx) =>
      fc.record({
        input: partial({
          boardId: field(anyId(ctx)),
          displayName: field(nastyString),
          monitorType: field(enumOf('SERVICE', 'WEBSITE', 'PING', 'CUSTOM')),
          url: field(nastyString),
          host: field(nastyString),
          serviceName: field(nastyString),
          checkIntervalMinutes: field(nastyNumber),
          requestHeaders: field(fc.array(header, { maxLength: 4 })),
        }),
      }),
  },
  {
    query: `query Tokens($filter: ApiTokenFilter, $first: Int, $after: String) {
      apiTokens(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { endCursor }
        nodes { id name prefix permission status lastUsedIp lastUsedUserAgent suggestedPermission }
      }
    }`,
    variables: (ctx) =>
      partial({
        first: firstArg,
        after: cursorLike(ctx),
        filter: field(
          partial({
            status: field(enumOf('ACTIVE', 'INACTIVE', 'EXPIRED', 'REVOKED')),
            permission: field(enumOf('FULL_ACCESS', 'READ_ONLY')),
            expiresBefore: field(dateTime),
            suggestedReadOnly: field(fc.boolean()),
          }),
        ),
      }),
  },
  {
    query: `mutation CreateToken($input: CreateApiTokenInput!) {
      createApiToken(input: $input) { secret token { id prefix permission expiresAt } }
    }`,
    variables: () =>
      fc.record({
        input: field(
          partial({
            name: field(nastyString),
            permission: field(enumOf('FULL_ACCESS', 'READ_ONLY')),
            expiresAt: field(dateTime),
          }),
        ),
      }),
  },
  {
    query: `mutation TokenChange($id: ID!, $input: UpdateApiTokenInput!, $grace: Int) {
      updateApiToken(id: $id, input: $input) { id name permission expiresAt }
      rotateApiToken(id: $id, gracePeriodMinutes: $grace) { token { id } }
      deactivateApiToken(id: $id) { id active }
    }`,
    variables: (ctx) =>
      partial({
        id: field(anyId(ctx)),
        grace: field(fc.integer({ min: -2, max: 1442 })),
        input: field(
          partial({
            name: field(nastyString),
            permission: field(enumOf('FULL_ACCESS', 'READ_ONLY')),
            expiresAt: field(dateTime),
          }),
        ),
      }),
  },
  {
    query: `mutation Status($id: ID!, $status: MonitorStatus!, $message: String) {
      setMonitorStatus(id: $id, status: $status, message: $message) { id status }
    }`,
    variables: (ctx) =>
      partial({
        id: field(anyId(ctx)),
        status: field(enumOf(...STATUSES)),
        message: field(nastyString),
      }),
  },
  {
    query: `mutation Update($incidentId: ID!, $input: IncidentUpdateInput!, $message: String) {
      addIncidentUpdate(incidentId: $incidentId, input: $input) { id phase updatedAt }
      resolveIncident(id: $incidentId, message: $message) { id phase resolvedAt }
    }`,
    variables: (ctx) =>
      partial({
        incidentId: field(anyId(ctx)),
        message: field(nastyString),
        input: field(partial({ phase: field(enumOf(...PHASES)), message: field(nastyString) })),
      }),
  },
  {
    query: `query Lookup($id: ID!, $first: Int, $after: String) {
      viewer { permission organization { id name } token { id prefix } }
      board(id: $id) { id name monitors(first: $first, after: $after) { nodes { id } } }
      monitor(id: $id) { id requestHeaders { name value }
        statusEvents(first: $first, after: $after) { nodes { status previousStatus message } } }
      incident(id: $id) { id updates { message } }
      apiToken(id: $id) { id lastUsedIp }
    }`,
    variables: (ctx) => partial({ id: field(anyId(ctx)), first: firstArg, after: cursorLike(ctx) }),
  },
  {
    query: `query Events($filter: AuditEventFilter, $statusFilter: StatusEventFilter, $first: Int) {
      auditEvents(filter: $filter, first: $first) { nodes { id action outcome ip targetId token { prefix } } }
      statusEvents(filter: $statusFilter, first: $first) { nodes { id status monitor { id } } }
      boards(first: $first) { totalCount nodes { id name } }
    }`,
    variables: (ctx) =>
      partial({
        first: firstArg,
        filter: field(
          partial({
            action: field(nastyString),
            outcome: field(enumOf('SUCCEEDED', 'DENIED', 'FAILED')),
            targetId: field(anyId(ctx)),
            tokenId: field(anyId(ctx)),
          }),
        ),
        statusFilter: field(
          partial({
            monitorId: field(anyId(ctx)),
            recordedAfter: field(dateTime),
            recordedBefore: field(dateTime),
            status: field(enumOf(...STATUSES)),
          }),
        ),
      }),
  },
];

/** Documents with literals in place: the literal mutations reach argument coercion. */
const LITERAL_TEMPLATES: ((a: string, b: string) => string)[] = [
  (a, b) => `{ incidents(first: ${a}, after: ${b}) { totalCount nodes { id } } }`,
  (a, b) =>
    `mutation { createIncident(input: {boardId: ${a}, name: ${b}, severity: MAJOR}) { id } }`,
  (a, b) => `mutation { updateMonitor(id: ${a}, input: {displayName: ${b}}) { id } }`,
  (a, b) => `{ apiTokens(first: ${a}, filter: {status: ${b}}) { nodes { id } } }`,
  (a, b) => `mutation { createApiToken(input: {name: ${a}, permission: ${b}}) { token { id } } }`,
  (a, b) => `{ board(id: ${a}) { id monitors(first: ${b}) { totalCount } } }`,
  (a, b) => `mutation { setMonitorStatus(id: ${a}, status: ${b}) { id } }`,
  (a, b) =>
    `mutation { createMonitor(input: {boardId: ${a}, displayName: "m", monitorType: WEBSITE, ` +
    `url: ${b}, requestHeaders: [{name: "Authorization", value: ${b}}]}) { id } }`,
  (a, b) => `{ auditEvents(filter: {action: ${a}, outcome: ${b}}) { nodes { id } } }`,
  (a, b) => `mutation { rotateApiToken(id: ${a}, gracePeriodMinutes: ${b}) { token { id } } }`,
  (a, b) =>
    `mutation { addIncidentUpdate(incidentId: ${a}, input: {phase: ${b}, message: "m"}) { id } }`,
  (a, b) => `{ statusEvents(filter: {recordedAfter: ${a}, status: ${b}}) { nodes { id } } }`,
  (a, b) => `query($v: ${a}) { monitor(id: $v) { id } incident(id: ${b}) { id } }`,
];

/** Percent-encoding of the UTF-8 bytes (a lone surrogate becomes U+FFFD, as a browser sends it). */
export const percentEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** A GraphQL literal as source text: numbers, strings (escaped or raw), enums, lists, objects. */
const literal = (ctx: FuzzContext): fc.Arbitrary<string> => {
  const scalar = fc.oneof(
    fc.integer().map(String),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
    fc.double().map(String),
    fc.constantFrom('2147483648', '-2147483649', '1e309', '0x1F', '-0', '00', '.5', '1_000'),
    nastyString.map((s) => JSON.stringify(s)),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `"${CANARY}${s}"`),
    fc.string({ maxLength: 20 }).map((s) => `"""${CANARY}${s}"""`),
    fc.constantFrom(...ctx.ids, ...ctx.cursors).map((s) => JSON.stringify(s)),
    fc.constantFrom(...SEVERITIES, ...PHASES, ...STATUSES, 'FULL_ACCESS', 'READ_ONLY'),
    fc.constantFrom('true', 'false', 'null', 'NaN', 'Infinity', '$undefined', '$v'),
  );
  const { value } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
      fc
        .array(fc.tuple(fc.constantFrom(...SCHEMA_NAMES), tie('value')), { maxLength: 3 })
        .map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    ),
  }));
  return value;
};

/** Deep nesting of lists, objects or selections, balanced or not. */
const nesting = fc
  .record({
    depth: fc.integer({ min: 10, max: 3000 }),
    shape: fc.constantFrom('list', 'object', 'selection'),
    balanced: fc.boolean(),
  })
  .map(({ depth, shape, balanced }) => {
    const [open, middle, close] = {
      list: ['[', '1', ']'],
      object: ['{a: ', '1', '}'],
      selection: ['board { monitors { nodes { ', 'id', ' } } }'],
    }[shape];
    return open.repeat(depth) + middle + (balanced ? close.repeat(depth) : '');
  });

const TOKEN = /"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|\.\.\.|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\w+|\S/g;

interface Edit {
  op: 'drop' | 'duplicate' | 'swap' | 'replace' | 'insert' | 'truncate';
  at: number;
  text: string;
}

const edit = (ctx: FuzzContext): fc.Arbitrary<Edit> =>
  fc.record({
    op: fc.constantFrom('drop', 'duplicate', 'swap', 'replace', 'insert', 'truncate'),
    at: fc.nat(),
    text: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...SCHEMA_NAMES) },
      { weight: 2, arbitrary: fc.stringMatching(/^[_A-Za-z]\w{0,12}$/) },
      { weight: 4, arbitrary: literal(ctx) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          ...'{}()[]:$!=@|&.,'.split(''),
          '...',
          '...on Query',
          'fragment F on Query { ...F }',
          '@include(if: true)',
          '@skip(if: $v)',
          '@deprecated',
          '__typename',
          '__schema { types { name } }',
          'query',
          'mutation',
          'subscription',
          '#',
          '"',
          '"""',
          '\u0000',
          '\ufeff',
        ),
      },
      { weight: 1, arbitrary: nesting },
    ),
  });

/** No edit (the operation as written) for two in five, else one to three. */
const edits = (ctx: FuzzContext) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<Edit[]>([]) },
    { weight: 3, arbitrary: fc.array(edit(ctx), { minLength: 1, maxLength: 3 }) },
  );

function applyEdits(document: string, edits: Edit[]): string {
  const tokens = document.match(TOKEN) ?? [];
  for (const { op, at, text } of edits) {
    const i = tokens.length === 0 ? 0 : at % tokens.length;
    if (op === 'drop') {
      tokens.splice(i, 1);
    } else if (op === 'duplicate') {
      tokens.splice(i, 0, tokens[i] ?? text);
    } else if (op === 'swap' && i + 1 < tokens.length) {
      [tokens[i], tokens[i + 1]] = [tokens[i + 1], tokens[i]];
    } else if (op === 'replace') {
      tokens[i] = text;
    } else if (op === 'insert') {
      tokens.splice(i, 0, text);
    } else if (op === 'truncate') {
      tokens.length = i;
    }
  }
  return tokens.join(' ');
}

/** A document: a real operation or a literal template, then zero to four token edits. */
export const document = (ctx: FuzzContext) =>
  fc
    .record({
      source: fc.oneof(
        fc.constantFrom(...OPERATIONS.map((o) => o.query)),
        fc
          .tuple(fc.constantFrom(...LITERAL_TEMPLATES), literal(ctx), literal(ctx))
          .map(([template, a, b]) => template(a, b)),
      ),
      edits: edits(ctx),
    })
    .map(({ source, edits }) => applyEdits(source, edits));

const ACCEPT = [
  undefined,
  'application/json',
  'application/graphql-response+json',
  '*/*',
  'text/html',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'application/graphql-response+json, application/json;q=0.9',
  'image/png',
  'multipart/mixed; deferSpec=20220824',
  'application/json; charset=utf-16',
];
export const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/JSON',
  'application/graphql-response+json',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/graphql',
];

/** What an HTTP header value may hold: tab, visible ASCII and Latin-1; no CR, LF or NUL. */
export const headerSafeText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom('\t', ' '),
      fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    ),
    maxLength,
  });

/** Idempotency keys: fresh, reused across requests (replays and mismatches), or malformed. */
export const idempotencyKey = fc.option(
  fc.oneof(
    fc.uuid(),
    fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'),
    headerSafeText(300),
  ),
  { freq: 3 },
);

export const identity = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom<Identity>('full', 'readOnly') },
  { weight: 1, arbitrary: fc.constant<Identity>('none') },
);
/** Mostly what GraphQL clients send; sometimes what they should not. */
export const accept = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ACCEPT.slice(0, 4)) },
  { weight: 1, arbitrary: fc.constantFrom(...ACCEPT) },
);

export function headersFor(
  ctx: FuzzContext,
  who: Identity,
  extra: Record<string, string | undefined>,
): Record<string, string> {
  const headers: Record<string, string> = { ...authorization(ctx, who) };
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined) {
      headers[name] = value;
    }
  }
  return headers;
}

/** Random JSON bodies: any value, request-shaped objects with wrong types, batches, oddities. */
export const jsonBody = (ctx: FuzzContext) => {
  const requestShaped = partial({
    query: fc.oneof(document(ctx), wild),
    variables: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 10 }), wild, { maxKeys: 4 }),
      wild,
      fc.jsonValue().map((v) => JSON.stringify(v)),
    ),
    // A secret-shaped name among them: the request log must not write it whole.
    operationName: fc.oneof(
      fc.constantFrom(
        'Incidents',
        'CreateToken',
        'Lookup',
        'sgp_0123456789abcdefghijABCDEFGHIJ012345',
      ),
      wild,
    ),
    extensions: fc.oneof(
      wild,
      fc.record({
        persistedQuery: partial({
          version: field(fc.constant(1)),
          sha256Hash: field(
            fc.string({
              unit: fc.constantFrom(...'0123456789abcdef'),
              minLength: 64,
              maxLength: 64,
            }),
          ),
        }),
      }),
    ),
  });
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    requestShaped.map((v) => JSON.stringify(v)),
    fc.array(requestShaped, { maxLength: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom(
      '{"query":"{ viewer { permission } }","variables":{"__proto__":{"polluted":true}}}',
      '{"__proto__":{"query":"{ viewer { permission } }"}}',
      '{"constructor":{"prototype":{"query":"x"}}}',
      '{"query":"{ viewer { permission } }","query":"mutation { createBoard(input: {name: \\"dup\\"}) { id } }"}',
      '{"query":"{ viewer { permission } }"} trailing',
      '{"query":"\\ud800"}',
      '{"query":"{ viewer { permission } }","variables":"{\\"a\\":1}"}',
      '{"query":null}',
      '{}',
      '""',
      'null',
      '[]',
      '\ufeff{"query":"{ viewer { permission } }"}',
    ),
  );
};
