import fc from 'fast-check';
import { TokenPermission } from '../../src/tokens/token-permission';
import {
  CONTENT_TYPES,
  OPERATIONS,
  accept,
  document,
  headerSafeText,
  headersFor,
  idempotencyKey,
  identity,
  jsonBody,
  nastyString,
  percentEncode,
  wellFormedSecret,
  wild,
} from '../helpers/fuzz-arbitraries';
import {
  CANARY,
  type FuzzContext,
  type Identity,
  type Mark,
  agent,
  errorLogLines,
  exchange,
  mark,
  outcomes,
  send,
} from '../helpers/fuzz-http';
import { TestApp } from '../helpers/test-app';

/**
 * Fuzzing the live server over real HTTP: mutated and random documents, variables, bodies, bytes,
 * query strings and Authorization headers. Whatever arrives, the answer is never a 5xx, always
 * JSON (or the playground page for a browser's GET), every error carries a code of API.md §7, and
 * nothing internal leaks: no stack trace, no SQL, no secret, no submitted value in an error, no
 * logged unexpected error. A failure prints fast-check's seed, path and counterexample; replay it
 * with FUZZ_SEED=<seed> FUZZ_PATH=<path> (and FUZZ_RUNS=<n> to run more or fewer). The wire and
 * the rules are in ../helpers/fuzz-http.ts, the generators in ../helpers/fuzz-arbitraries.ts.
 */

const RUNS = Number(process.env.FUZZ_RUNS) || 1;
const runs = (n: number) => Math.max(1, Math.round(n * RUNS));
/** fast-check's own report (seed, path, counterexample) is printed by fc.assert on failure. */
const replay = {
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
};
const TIMEOUT = 180_000;

const UPDATE_MONITOR = OPERATIONS[2].query;
const CREATE_INCIDENT = OPERATIONS[1].query;
const EVENTS = OPERATIONS[10].query;
const DEEP_LIST = `{ board(id: ${'['.repeat(2400)}"x"${']'.repeat(2400)}) { id } }`;

/**
 * Failures the fuzz found (shrunk counterexamples), replayed first on every run so that each
 * stays fixed: values echoed through unquoted object keys and unescaped enum quotes, a string
 * token in a syntax error, a secret-shaped name, an operationName outside the contract's codes,
 * echoed, or resolving no operation (a 500), the parser's stack overflow reported as it came, a
 * U+0000 in a filter (PostgreSQL).
 */
const EXAMPLES = {
  real: [
    [
      'full',
      {
        query: UPDATE_MONITOR,
        variables: { input: { boardId: { ']': '' }, serviceName: CANARY, monitorType: 'SERVICE' } },
      },
      null,
    ],
    [
      'full',
      {
        query: CREATE_INCIDENT,
        variables: { input: { severity: `"; DROP TABLE api_token; -- ${CANARY}` } },
      },
      null,
    ],
    // PostgreSQL cannot hold U+0000: a filter with one must not reach it as it is.
    ['full', { query: EVENTS, variables: { filter: { action: 'a\u0000' } } }, null],
    // An operationName that resolves nothing, with an Idempotency-Key (its plugin then runs).
    ['full', { query: '{ viewer { permission } }', operationName: 'nope' }, 'fuzz-key-0'],
  ] as [Identity, { query: string; variables?: unknown; operationName?: string }, string | null][],
  mutated: [
    [
      'full',
      `mutation M ( $ input : CreateApiTokenInput ! ) """${CANARY}""" { createApiToken ( input : $ input ) { secret } }`,
      null,
    ],
    ['full', DEEP_LIST, null],
  ] as [Identity, string, Record<string, unknown> | null][],
  json: [
    ['full', '{"query":"sgp_0000000000000000000000000000002C8GjS"}', 'application/json', undefined],
    [
      'full',
      '{"query":"{ viewer { permission } }","operationName":"nope"}',
      'application/json',
      undefined,
    ],
  ] as [Identity, string, string, string | undefined][],
  get: [
    [
      'full',
      ['operationName=', `query=${percentEncode('{ viewer { permission } }')}`],
      '/graphql',
      undefined,
      undefined,
    ],
    [
      'full',
      [`operationName=%22${CANARY}%22`, `query=${percentEncode('{ viewer { permission } }')}`],
      '/graphql',
      undefined,
      undefined,
    ],
  ] as [Identity, string[], string, string | undefined, string | undefined][],
};

describe('fuzzing the live server', () => {
  let app: TestApp;
  let ctx: FuzzContext;

  beforeAll(async () => {
    app = await TestApp.start();
    const full = app.asFullAccess();
    const monitorCredential = `Bearer fixture-credential-${Date.now()}`;
    const { createBoard } = await full.data<{ createBoard: { id: string } }>(
      'mutation { createBoard(input: { name: "Fuzz" }) { id } }',
    );
    const { createMonitor } = await full.data<{ createMonitor: { id: string } }>(
      `mutation($input: CreateMonitorInput!) { createMonitor(input: $input) { id } }`,
      {
        input: {
          boardId: createBoard.id,
          displayName: 'API',
          monitorType: 'WEBSITE',
          url: 'https://example.com/health',
          requestHeaders: [{ name: 'Authorization', value: monitorCredential }],
        },
      },
    );
    await full.data('mutation($id: ID!) { setMonitorStatus(id: $id, status: DOWN) { id } }', {
      id: createMonitor.id,
    });
    const ids = [createBoard.id, createMonitor.id];
    for (let i = 0; i < 3; i++) {
      const { createIncident } = await full.data<{ createIncident: { id: string } }>(
        `mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }`,
        {
          input: {
            boardId: createBoard.id,
            name: `Outage ${i}`,
            severity: 'MAJOR',
            monitorIds: [createMonitor.id],
          },
        },
      );
      ids.push(createIncident.id);
    }
    const victims = [
      await app.createToken('victim-full', TokenPermission.FULL_ACCESS),
      await app.createToken('victim-read-only', TokenPermission.READ_ONLY),
    ];
    // Victims only: a mutation on the tokens the fuzz sends with (rotate, revoke) would end it.
    ids.push(...victims.map((v) => v.token.id));
    const { incidents, apiTokens } = await full.data<{
      incidents: { edges: { cursor: string }[] };
      apiTokens: { edges: { cursor: string }[] };
    }>(`{
      incidents(first: 2, orderBy: UPDATED_AT_ASC) { edges { cursor } }
      apiTokens(first: 2) { edges { cursor } }
    }`);
    ctx = {
      base: new URL(app.url),
      secrets: { full: app.identities.full.secret, readOnly: app.identities.readOnly.secret },
      knownSecrets: [
        ...Object.values(app.identities).map((identity) => identity.secret),
        ...victims.map((v) => v.secret),
      ],
      monitorCredential,
      ids,
      cursors: [...incidents.edges, ...apiTokens.edges].map((edge) => edge.cursor),
    };
  });

  afterAll(async () => {
    if (process.env.FUZZ_STATS) {
      const lines = [...outcomes].sort(([a], [b]) => a.localeCompare(b));
      process.stderr.write(`${lines.map(([key, n]) => `${n}\t${key}`).join('\n')}\n`);
    }
    agent.destroy();
    await app.close();
  });

  /** After each property: alive, a normal query works, nothing logged as an error. */
  async function expectHealthy(start: Mark, minimum: number): Promise<void> {
    expect(mark().requests - start.requests).toBeGreaterThanOrEqual(minimum);
    const health = await send(ctx.base, { method: 'GET', path: '/healthz', headers: {} });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    expect(await app.asReadOnly().data('{ viewer { permission } }')).toEqual({
      viewer: { permission: 'READ_ONLY' },
    });
    expect(errorLogLines(start.logLines)).toEqual([]);
    // Whatever it sent, a READ_ONLY token changed nothing.
    const { auditEvents } = await app.asFullAccess().data<{ auditEvents: { totalCount: number } }>(
      `query($tokenId: ID!) {
        auditEvents(filter: { tokenId: $tokenId, outcome: SUCCEEDED }) { totalCount }
      }`,
      { tokenId: app.identities.readOnly.token.id },
    );
    expect(auditEvents.totalCount).toBe(0);
  }

  test(
    'real operations with random variables',
    async () => {
      const before = mark();
      const numRuns = runs(900);
      await fc.assert(
        fc.asyncProperty(
          identity,
          fc.constantFrom(...OPERATIONS).chain((op) =>
            fc.record<{ query: string; variables?: unknown; operationName?: string }>({
              query: fc.constant(op.query),
              variables: fc.oneof(
                { weight: 6, arbitrary: op.variables(ctx) },
                { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), wild) },
                { weight: 1, arbitrary: wild },
              ),
            }),
          ),
          idempotencyKey,
          async (who, body, key) => {
            await exchange(ctx, {
              method: 'POST',
              path: '/graphql',
              headers: headersFor(ctx, who, {
                'content-type': 'application/json',
                'idempotency-key': key ?? undefined,
              }),
              body: JSON.stringify(body),
            });
          },
        ),
        { numRuns, examples: EXAMPLES.real, ...replay },
      );
      await expectHealthy(before, numRuns);
    },
    TIMEOUT,
  );

  test(
    'mutated documents',
    async () => {
      const before = mark();
      const numRuns = runs(900);
      await fc.assert(
        fc.asyncProperty(
          identity,
          document(ctx),
          fc.option(fc.constantFrom(...OPERATIONS).chain((op) => op.variables(ctx))),
          async (who, query, variables) => {
            await exchange(ctx, {
              method: 'POST',
              path: '/graphql',
              headers: headersFor(ctx, who, { 'content-type': 'application/json' }),
              body: JSON.stringify({ query, ...(variables === null ? {} : { variables }) }),
            });
          },
        ),
        { numRuns, examples: EXAMPLES.mutated, ...replay },
      );
      await expectHealthy(before, numRuns);
    },
    TIMEOUT,
  );

  test(
    'random JSON bodies',
    async () => {
      const before = mark();
      const numRuns = runs(500);
      await fc.assert(
        fc.asyncProperty(
          identity,
          jsonBody(ctx),
          fc.constantFrom(
            'application/json',
            'application/json',
            'application/graphql-response+json',
            'application/json; charset=latin1',
          ),
          accept,
          async (who, body, contentType, acceptHeader) => {
            await exchange(ctx, {
              method: 'POST',
              path: '/graphql',
              headers: headersFor(ctx, who, { 'content-type': contentType, accept: acceptHeader }),
              body,
            });
          },
        ),
        { numRuns, examples: EXAMPLES.json, ...replay },
      );
      await expectHealthy(before, numRuns);
    },
    TIMEOUT,
  );

  test(
    'random bytes with various content types and encodings',
    async () => {
      const before = mark();
      const numRuns = runs(400);
      await fc.assert(
        fc.asyncProperty(
          identity,
          fc.oneof(
            fc.uint8Array({ maxLength: 4096 }),
            fc
              .tuple(jsonBody(ctx), fc.uint8Array({ maxLength: 64 }), fc.nat())
              .map(([json, bytes, at]) => {
                const text = Buffer.from(json);
                const cut = at % (text.length + 1);
                return Buffer.concat([text.subarray(0, cut), bytes, text.subarray(cut)]);
              }),
          ),
          fc.constantFrom(...CONTENT_TYPES),
          fc.constantFrom(undefined, undefined, 'gzip', 'deflate', 'br', 'identity', 'xz'),
          fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE'),
          async (who, bytes, contentType, encoding, method) => {
            await exchange(ctx, {
              method,
              path: '/graphql',
              headers: headersFor(ctx, who, {
                'content-type': contentType,
                'content-encoding': encoding,
              }),
              body: bytes,
            });
          },
        ),
        { numRuns, ...replay },
      );
      await expectHealthy(before, numRuns);
    },
    TIMEOUT,
  );

  test(
    'GET with random query strings',
    async () => {
      const before = mark();
      const numRuns = runs(500);
      const value = fc.oneof(
        document(ctx),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        OPERATIONS[9].variables(ctx).map((v) => JSON.stringify(v)),
        nastyString,
      );
      const pair = fc.oneof(
        fc
          .tuple(
            fc.constantFrom('query', 'variables', 'operationName', 'extensions', 'query[]', 'q'),
            value,
          )
          .map(([k, v]) => `${k}=${percentEncode(v)}`),
        // Raw fragments: broken percent-encoding, empty keys, bare separators.
        fc.stringMatching(/^[!-"$-~]{0,20}$/),
      );
      await fc.assert(
        fc.asyncProperty(
          identity,
          fc
            .tuple(fc.option(document(ctx), { freq: 4 }), fc.array(pair, { maxLength: 3 }))
            .map(([query, pairs]) =>
              query === null ? pairs : [`query=${percentEncode(query)}`, ...pairs],
            ),
          fc.constantFrom('/graphql', '/graphql/', '/graphql//'),
          accept,
          fc.constantFrom(undefined, 'true', ''),
          async (who, pairs, path, acceptHeader, preflight) => {
            await exchange(ctx, {
              method: 'GET',
              path: pairs.length > 0 ? `${path}?${pairs.join('&')}` : path,
              headers: headersFor(ctx, who, {
                accept: acceptHeader,
                'apollo-require-preflight': preflight,
              }),
            });
          },
        ),
        { numRuns, examples: EXAMPLES.get, ...replay },
      );
      await expectHealthy(before, numRuns);
    },
    TIMEOUT,
  );

  test(
    'random Authorization headers',
    async () => {
      const before = mark();
      const numRuns = runs(400);
      const headerText = headerSafeText(60);
      const mangled = fc
        .tuple(fc.constantFrom(ctx.secrets.full, ctx.secrets.readOnly), fc.nat(), headerText)
        .chain(([secret, at, text]) =>
          fc.constantFrom(
            secret.slice(0, at % secret.length),
            secret.slice(0, at % secret.length) + text + secret.slice(at % secret.length),
            secret.toLowerCase(),
            `${secret} ${secret}`,
            `${secret}\t`,
            secret + 'x',
          ),
        );
      const credential = fc.oneof(
        headerText,
        wellFormedSecret,
        mangled,
        fc.stringMatching(/^sgp_[0-9A-Za-z]{36}$/),
        fc.constantFrom(...ctx.knownSecrets),
      );
      const authorizationValue = fc.oneof(
        credential.map((c) => `Bearer ${c}`),
        fc
          .tuple(fc.constantFrom('bearer', 'BEARER', 'Basic', 'Token', 'Bearer ', ''), credential)
          .map(([scheme, c]) => `${scheme} ${c}`),
        headerText,
        fc.string({ unit: 'binary-ascii', maxLength: 3000 }).map((s) => s.replace(/[^\t -~]/g, '')),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            authorizationValue,
            fc.array(authorizationValue, { minLength: 2, maxLength: 3 }),
          ),
          fc.constantFrom('POST', 'GET'),
          async (auth, method) => {
            const query = '{ viewer { permission token { prefix } } }';
            await exchange(ctx, {
              method,
              path: method === 'GET' ? `/graphql?query=${encodeURIComponent(query)}` : '/graphql',
              headers: { 'content-type': 'application/json', authorization: auth },
              body: method === 'POST' ? JSON.stringify({ query }) : undefined,
            });
          },
        ),
        { numRuns, ...replay },
      );
      await expectHealthy(before, numRuns);
    },
    TIMEOUT,
  );
});
