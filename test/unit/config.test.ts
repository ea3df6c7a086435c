import { join, resolve } from 'node:path';
import { buildSchema, graphql } from 'graphql';
import {
  ConfigError,
  DEFAULT_DATABASE_URL,
  DEFAULT_LIMITS,
  loadConfig,
  parseDatabaseUrl,
  resolveLimits,
} from '../../src/core/config';
import { withoutEchoedValues } from '../../src/server/format-error';

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 4000,
      host: '0.0.0.0',
      database: { type: 'sqlite', path: resolve(process.cwd(), 'data/statusgraph.sqlite') },
      logLevel: 'info',
      lastUsedWriteIntervalSeconds: 60,
      corsOrigins: [],
      trustedProxies: [],
      limits: {
        costBucketSize: 120_000,
        costRestoreRate: 200_000,
        costPerRequest: 500,
        authFailuresPerMinute: 60,
        queryTimeoutMs: 30_000,
        concurrentQueries: 2,
        concurrentExpensiveQueries: 2,
        cheapQueryCost: 1000,
      },
      audit: { deniedPerMinute: 60, retentionDays: 400 },
    });
    expect(DEFAULT_DATABASE_URL).toBe('sqlite:./data/statusgraph.sqlite');
    expect(DEFAULT_LIMITS).toEqual({
      costBucketSize: 120_000,
      costRestoreRate: 200_000,
      costPerRequest: 500,
      authFailuresPerMinute: 60,
      queryTimeoutMs: 30_000,
      concurrentQueries: 2,
      concurrentExpensiveQueries: 2,
      cheapQueryCost: 1000,
    });
    // No store configured: it follows the database (SQLite → memory).
    expect(resolveLimits(config)).toEqual({ ...DEFAULT_LIMITS, store: 'memory' });
  });

  it('reads its settings from the environment it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'sqlite:/var/lib/statusgraph/db.sqlite',
      LOG_LEVEL: 'debug',
      LAST_USED_WRITE_INTERVAL_SECONDS: '0',
      CORS_ORIGINS: 'https://dash.example.com, http://localhost:3000',
      COST_BUCKET_SIZE: '3000',
      COST_RESTORE_RATE: '50',
      COST_PER_REQUEST: '5',
      AUTH_FAILURES_PER_MINUTE: '10',
      RATE_LIMIT_STORE: 'memory',
      QUERY_TIMEOUT_MS: '5000',
      MAX_CONCURRENT_QUERIES: '8',
      MAX_CONCURRENT_EXPENSIVE_QUERIES: '3',
      CHEAP_QUERY_COST: '500',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      database: { type: 'sqlite', path: '/var/lib/statusgraph/db.sqlite' },
      logLevel: 'debug',
      lastUsedWriteIntervalSeconds: 0,
      corsOrigins: ['https://dash.example.com', 'http://localhost:3000'],
      trustedProxies: [],
      limits: {
        costBucketSize: 3000,
        costRestoreRate: 50,
        costPerRequest: 5,
        authFailuresPerMinute: 10,
        store: 'memory',
        queryTimeoutMs: 5000,
        concurrentQueries: 8,
        concurrentExpensiveQueries: 3,
        cheapQueryCost: 500,
      },
      audit: { deniedPerMinute: 60, retentionDays: 400 },
    });
  });

  it.each([
    '*',
    'dash.example.com',
    'https://dash.example.com/',
    'https://x.example/path',
    'ftp://x.example',
  ])('refuses CORS_ORIGINS=%j', (origins) => {
    expect(() => loadConfig({ CORS_ORIGINS: origins })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: origins })).toThrow(/CORS_ORIGINS/);
  });

  it.each(['0', '1', '65535'])('accepts PORT=%s', (port) => {
    expect(loadConfig({ PORT: port }).port).toBe(Number(port));
  });

  it.each(['abc', '70000', '65536', '-1', '1.5', '4000abc', ' 4000', '0x10', '1e3'])(
    'refuses PORT=%j with a one-line ConfigError naming PORT',
    (port) => {
      expect(() => loadConfig({ PORT: port })).toThrow(ConfigError);
      expect(() => loadConfig({ PORT: port })).toThrow(/PORT/);
      try {
        loadConfig({ PORT: port });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain('\n');
      }
    },
  );

  it('resolves a relative sqlite path against the working directory, taken literally', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:./some dir/db.sqlite' }).database).toEqual({
      type: 'sqlite',
      path: join(process.cwd(), 'some dir', 'db.sqlite'),
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite:relative.sqlite' }).database).toEqual({
      type: 'sqlite',
      path: join(process.cwd(), 'relative.sqlite'),
    });
  });

  it('keeps an absolute sqlite path', () => {
    expect(parseDatabaseUrl('sqlite:/tmp/x/statusgraph.sqlite')).toEqual({
      type: 'sqlite',
      path: '/tmp/x/statusgraph.sqlite',
    });
  });

  it.each([
    'postgres://user:pass@db.example:5432/statusgraph',
    'postgresql://localhost/statusgraph',
  ])('accepts DATABASE_URL=%s as PostgreSQL, unchanged', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ type: 'postgres', url });
  });

  it.each(['mysql://x', 'sqlite:', 'file:./db.sqlite', './db.sqlite', 'postgres:/nohost'])(
    'refuses DATABASE_URL=%j with a ConfigError',
    (url) => {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/DATABASE_URL/);
    },
  );

  it('does not print the PostgreSQL password when refusing a URL', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])(
    'accepts LOG_LEVEL=%s',
    (level) => {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    },
  );

  it.each(['verbose', 'INFO!', 'warning', 'all'])('refuses LOG_LEVEL=%j', (level) => {
    expect(() => loadConfig({ LOG_LEVEL: level })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_LEVEL: level })).toThrow(/LOG_LEVEL/);
  });

  describe('limits', () => {
    const LIMIT_VARIABLES = [
      ['COST_BUCKET_SIZE', 'costBucketSize', 1_000_000_000],
      ['COST_RESTORE_RATE', 'costRestoreRate', 1_000_000_000],
      ['COST_PER_REQUEST', 'costPerRequest', 1_000_000_000],
      ['AUTH_FAILURES_PER_MINUTE', 'authFailuresPerMinute', 1_000_000_000],
      ['QUERY_TIMEOUT_MS', 'queryTimeoutMs', 3_600_000],
      ['MAX_CONCURRENT_QUERIES', 'concurrentQueries', 1000],
      ['MAX_CONCURRENT_EXPENSIVE_QUERIES', 'concurrentExpensiveQueries', 1000],
      ['CHEAP_QUERY_COST', 'cheapQueryCost', 1_000_000_000],
    ] as const;

    describe.each(LIMIT_VARIABLES)('%s', (name, key, max) => {
      it.each(['1', '60', String(max)])(`accepts ${name}=%s`, (value) => {
        expect(loadConfig({ [name]: value }).limits?.[key]).toBe(Number(value));
      });

      it('takes the default when empty', () => {
        expect(loadConfig({ [name]: '' }).limits?.[key]).toBe(DEFAULT_LIMITS[key]);
      });

      it.each(['0', String(max + 1), '-1', '1.5', '1e3', ' 5', '5 ', 'abc', '0x10', '12abc'])(
        `refuses ${name}=%j with a one-line ConfigError naming it`,
        (value) => {
          expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
          expect(() => loadConfig({ [name]: value })).toThrow(
            new RegExp(`^${name} must be a whole number from 1 to ${max}\\.$`),
          );
        },
      );
    });

    it.each(['memory', 'database'])('accepts RATE_LIMIT_STORE=%s with PostgreSQL', (store) => {
      const config = loadConfig({
        RATE_LIMIT_STORE: store,
        DATABASE_URL: 'postgres://db.example/statusgraph',
      });
      expect(config.limits?.store).toBe(store);
      expect(resolveLimits(config).store).toBe(store);
    });

    it('accepts RATE_LIMIT_STORE=memory with SQLite', () => {
      expect(resolveLimits(loadConfig({ RATE_LIMIT_STORE: 'memory' })).store).toBe('memory');
    });

    it('without RATE_LIMIT_STORE the store follows the database', () => {
      expect(resolveLimits(loadConfig({})).store).toBe('memory');
      expect(
        resolveLimits(loadConfig({ DATABASE_URL: 'postgresql://db.example/statusgraph' })).store,
      ).toBe('database');
      expect(resolveLimits(loadConfig({ RATE_LIMIT_STORE: '' })).store).toBe('memory');
    });

    it.each(['redis', 'Memory', 'DATABASE', 'db', 'postgres', ' memory'])(
      'refuses RATE_LIMIT_STORE=%j',
      (store) => {
        expect(() => loadConfig({ RATE_LIMIT_STORE: store })).toThrow(ConfigError);
        expect(() => loadConfig({ RATE_LIMIT_STORE: store })).toThrow(
          /^RATE_LIMIT_STORE must be memory or database\.$/,
        );
      },
    );

    it('refuses RATE_LIMIT_STORE=database on SQLite: the counters would not be shared', () => {
      for (const env of [
        { RATE_LIMIT_STORE: 'database' },
        { RATE_LIMIT_STORE: 'database', DATABASE_URL: 'sqlite:/tmp/statusgraph.sqlite' },
      ]) {
        expect(() => loadConfig(env)).toThrow(ConfigError);
        expect(() => loadConfig(env)).toThrow(/RATE_LIMIT_STORE=database needs a PostgreSQL/);
      }
      try {
        loadConfig({ RATE_LIMIT_STORE: 'database' });
      } catch (error) {
        expect((error as Error).message).not.toContain('\n');
      }
    });

    it('resolveLimits puts configured limits over the defaults', () => {
      expect(
        resolveLimits({
          database: { type: 'postgres', url: 'postgres://db.example/statusgraph' },
          limits: { costBucketSize: 5 },
        }),
      ).toEqual({ ...DEFAULT_LIMITS, costBucketSize: 5, store: 'database' });
      expect(resolveLimits({ database: { type: 'sqlite', path: '/tmp/x.sqlite' } })).toEqual({
        ...DEFAULT_LIMITS,
        store: 'memory',
      });
    });
  });

  it.each(['-1', '86401', 'soon'])('refuses LAST_USED_WRITE_INTERVAL_SECONDS=%j', (value) => {
    expect(() => loadConfig({ LAST_USED_WRITE_INTERVAL_SECONDS: value })).toThrow(ConfigError);
  });
});

describe('withoutEchoedValues', () => {
  const SECRET = 'hunter2';

  it.each([
    [
      'Variable "$input" got invalid value { name: "x", value: "hunter2" } at "input.value"; String cannot represent a non string value: 5',
      'Variable "$input" has an invalid value at "input.value": String cannot represent a non string value.',
    ],
    [
      'Variable "$input" got invalid value { name: "x", value: "hunter2", extra: "hunter2" }; Field "extra" is not defined by type "CreateBoardInput".',
      'Variable "$input" has an invalid value: Field "extra" is not defined by type "CreateBoardInput".',
    ],
    [
      'Variable "$n" got invalid value "hunter2"; Int cannot represent non-integer value: "hunter2"',
      'Variable "$n" has an invalid value: Int cannot represent non-integer value.',
    ],
    [
      'String cannot represent a non string value: "hunter2"',
      'String cannot represent a non string value.',
    ],
    ['ID cannot represent value: { secret: "hunter2" }', 'ID cannot represent value.'],
    [
      'Value "hunter2" does not exist in "TokenPermission" enum.',
      'The value is not one of the "TokenPermission" enum values.',
    ],
    [
      'Expected value of type "CreateBoardInput", found "hunter2".',
      'Expected value of type "CreateBoardInput".',
    ],
    [
      'Syntax Error: Expected ":", found String "Bearer hunter2".',
      'Syntax Error: Expected ":", found a string.',
    ],
    [
      'Syntax Error: Unexpected BlockString "a \\"b\\". hunter2".',
      'Syntax Error: Unexpected string.',
    ],
  ])('rewrites %j to the field and the rule', (message, expected) => {
    expect(withoutEchoedValues(message)).toBe(expected);
    expect(withoutEchoedValues(message)).not.toContain(SECRET);
  });

  it('leaves messages without values untouched', () => {
    for (const message of [
      'name must be 1–100 characters.',
      'Field "In.name" of required type "String!" was not provided.',
      'Cannot query field "nope" on type "Query".',
      'after must be an endCursor or edge cursor returned by this list; start again without after.',
    ]) {
      expect(withoutEchoedValues(message)).toBe(message);
    }
  });

  // The messages graphql-js itself produces, so a change of its wording shows up here.
  const schema = buildSchema(`
    enum Level { LOW HIGH }
    input Header { name: String! value: String! }
    input In { name: String! value: String level: Level count: Int headers: [Header!] }
    type Query { f(input: In): String  g(n: Int, s: String, id: ID, l: Level, b: Boolean, x: Float): String }
  `);

  async function messagesOf(source: string, variableValues?: Record<string, unknown>) {
    const result = await graphql({ schema, source, variableValues });
    const messages = (result.errors ?? []).map((e) => e.message);
    expect(messages.length).toBeGreaterThan(0);
    return messages;
  }

  const F = 'query($input: In) { f(input: $input) }';
  it.each<[string, string, Record<string, unknown> | undefined]>([
    ['a wrong type inside an input object', F, { input: { name: 'x', value: 5, count: SECRET } }],
    ['an unknown enum value', F, { input: { name: 'x', value: SECRET, level: SECRET } }],
    ['an undefined field', F, { input: { name: 'x', value: SECRET, extra: SECRET } }],
    ['a missing required field', F, { input: { value: SECRET } }],
    ['a scalar for an object', F, { input: SECRET }],
    [
      'a nested list entry',
      F,
      { input: { name: 'x', headers: [{ name: 'Authorization', value: SECRET, z: 1 }] } },
    ],
    ['an Int variable', 'query($n: Int) { g(n: $n) }', { n: SECRET }],
    ['an ID variable', 'query($id: ID) { g(id: $id) }', { id: { token: SECRET } }],
    ['an enum variable', 'query($l: Level) { g(l: $l) }', { l: SECRET }],
    ['a Boolean variable', 'query($b: Boolean) { g(b: $b) }', { b: SECRET }],
    ['a Float variable', 'query($x: Float) { g(x: $x) }', { x: SECRET }],
    ['an Int literal', '{ g(n: "hunter2") }', undefined],
    ['an object literal given a string', '{ f(input: "hunter2") }', undefined],
    ['an enum literal given a string', '{ g(l: "hunter2") }', undefined],
    ['a string where a colon belongs (syntax error)', '{ f(input: {name "hunter2"}) }', undefined],
    ['a block string where a name belongs (syntax error)', '{ g(n: 1 """hunter2""") }', undefined],
  ])('removes the value graphql-js echoes for %s', async (_case, source, variables) => {
    for (const message of await messagesOf(source, variables)) {
      const cleaned = withoutEchoedValues(message);
      expect(cleaned).not.toContain(SECRET);
      expect(cleaned.length).toBeGreaterThan(10);
    }
  });

  // Submitted values may themselves contain "; " or "." (a header value, a sentence); no part
  // of them may survive.
  it.each<[string, string, Record<string, unknown> | undefined]>([
    ['a variable value containing "; "', 'query($n: Int) { g(n: $n) }', { n: 'Bearer x; hunter2' }],
    [
      'a nested variable value containing "; "',
      F,
      { input: { name: 'x', count: 'token; hunter2' } },
    ],
    ['a literal containing "."', '{ f(input: "v1.hunter2") }', undefined],
  ])('removes every part of %s', async (_case, source, variables) => {
    for (const message of await messagesOf(source, variables)) {
      expect(withoutEchoedValues(message)).not.toContain(SECRET);
    }
  });

  // Object keys are printed unquoted and enum values quoted unescaped, so no syntax can be read
  // reliably; the formatter passes the appended reason (originalError), where the value ends.
  it.each<[string, Record<string, unknown>]>([
    ['an object key with brackets', { input: { name: 'x', extra: { ']': '' }, value: SECRET } }],
    ['an object key with a quote and "; "', { input: { name: 'x', 'a"; b': SECRET, level: 1 } }],
    ['an enum value with a quote in it', { input: { name: 'x', level: `"; ${SECRET}` } }],
  ])('removes every part of %s, given the reason', async (_case, variableValues) => {
    const result = await graphql({ schema, source: F, variableValues });
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      const cleaned = withoutEchoedValues(error.message, error.originalError?.message);
      expect(cleaned).toMatch(/^Variable "\$input" has an invalid value/);
      expect(cleaned).not.toContain(SECRET);
    }
  });
});
