import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Client } from 'pg';
import { closeServices } from '../../src/app';
import { TokenPermission } from '../../src/tokens/token-permission';
import type { HttpClient } from '../helpers/http-client';
import { TestApp, capturedLogLines } from '../helpers/test-app';
import { TEST_DB } from '../helpers/test-database';

/** Any statusgraph secret, known to the test or not. */
const ANY_SECRET = /sgp_[0-9A-Za-z]{36}/;

const TOKEN = `id name permission prefix status active expiresAt createdAt revokedAt lastUsedAt
  lastUsedIp lastUsedUserAgent lastWriteAt suggestedPermission`;
const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret token { ${TOKEN} } } }`;
const ROTATE = `mutation($id: ID!, $grace: Int) {
  rotateApiToken(id: $id, gracePeriodMinutes: $grace) { secret token { ${TOKEN} } } }`;
const LIST = `{ apiTokens(first: 1000) { totalCount nodes { ${TOKEN} } edges { cursor } } }`;
const GET = `query($id: ID!) { apiToken(id: $id) { ${TOKEN} } }`;
const VIEWER = `{ viewer { permission organization { id name } token { id name prefix status } } }`;
const VIEWER_FULL = `{ viewer { permission organization { id name } token { ${TOKEN} } } }`;
const AUDIT = `{ auditEvents(first: 1000) {
  totalCount nodes { id at action outcome targetType targetId ip token { id name prefix } } } }`;

interface Created {
  secret: string;
  token: { id: string; prefix: string };
}

interface Issued {
  /** Every secret ever issued in the fixture, dead or alive. */
  all: string[];
  /** Secrets that still authenticate. */
  usable: string[];
  /** Token ids of the fixture's organization. */
  ids: string[];
  /** Prefixes that must be stored and shown (to prove the scans look at real data). */
  prefixes: string[];
  /** The secret replaced by a rotation with a grace period, still accepted. */
  inGrace: { tokenId: string; secret: string };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** API.md section 2, written here independently of src: the checksum of the 30 random characters. */
function checksum(random: string): string {
  let digits = '';
  for (let rest = crc32(random); rest > 0; rest = Math.floor(rest / 62)) {
    digits = BASE62[rest % 62] + digits;
  }
  return digits.padStart(6, '0');
}

/**
 * Every well-formed secret (shape and checksum) anywhere in `text`, overlapping ones included. Raw
 * database pages put columns side by side (a prefix next to a hash looks like `sgp_` + 36
 * letters and digits), so the checksum tells a real secret from such a neighbourhood.
 */
function wellFormedSecretsIn(text: string): string[] {
  const found: string[] = [];
  for (let at = text.indexOf('sgp_'); at !== -1; at = text.indexOf('sgp_', at + 1)) {
    const candidate = text.slice(at, at + 40);
    if (
      /^sgp_[0-9A-Za-z]{36}$/.test(candidate) &&
      checksum(candidate.slice(4, 34)) === candidate.slice(34)
    ) {
      found.push(candidate);
    }
  }
  return found;
}

/** Fails on any known secret, and on any well-formed secret at all, found in `text`. */
function expectNoSecret(text: string, secrets: readonly string[], where: string): void {
  const known = secrets.filter((secret) => text.includes(secret));
  expect({ where, known }).toEqual({ where, known: [] });
  expect({ where, wellFormed: wellFormedSecretsIn(text) }).toEqual({ where, wellFormed: [] });
}

/** A stored value as text: bytes as latin1, timestamps as ISO text. */
function asText(value: unknown): string {
  if (value instanceof Buffer) {
    return value.toString('latin1');
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** Where values stand alone (a response, a column, a log line), not even the bare shape may occur. */
function expectNoSecretShape(text: string, where: string): void {
  expect({ where, match: ANY_SECRET.exec(text)?.[0] ?? null }).toEqual({ where, match: null });
}

/**
 * Makes token inserts and secret rotations fail inside the database itself: SQLite triggers
 * raising ABORT, or PostgreSQL triggers whose plpgsql functions raise an exception.
 */
async function refuseTokenWrites(app: TestApp): Promise<void> {
  const refusals = [
    { name: 'refuse_token_insert', event: 'INSERT', message: 'token insert refused by the test' },
    {
      name: 'refuse_token_rotation',
      event: 'UPDATE OF secret_hash',
      message: 'token rotation refused by the test',
    },
  ];
  await app.services.db.write(async (manager) => {
    for (const { name, event, message } of refusals) {
      if (TEST_DB === 'postgres') {
        await manager.query(
          `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '${message}'; END $$`,
        );
        await manager.query(
          `CREATE TRIGGER ${name} BEFORE ${event} ON api_token
           FOR EACH ROW EXECUTE FUNCTION ${name}()`,
        );
      } else {
        await manager.query(
          `CREATE TRIGGER ${name} BEFORE ${event} ON api_token
           BEGIN SELECT RAISE(ABORT, '${message}'); END`,
        );
      }
    }
  });
}

describe('a secret never appears after creation', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  /**
   * Issues secrets through every path (fixture set-up, organization creation, the token service
   * as the CLI uses it, the API), uses each, and rotates two: one at once, one with a grace period.
   */
  async function issueSecrets(): Promise<Issued> {
    const identities = Object.values(app.identities);
    const all = identities.map((i) => i.secret);
    const ids = identities.map((i) => i.token.id);
    const usable = [app.identities.full.secret, app.identities.readOnly.secret];

    const viaApi = await app.asFullAccess().data<{ createApiToken: Created }>(CREATE, {
      input: { name: 'via api', permission: 'FULL_ACCESS' },
    });
    const viaService = await app.services.tokens.create(app.systemActor('cli.token.create'), {
      name: 'via service',
      permission: TokenPermission.READ_ONLY,
      expiresAt: new Date(Date.now() + 24 * 60 * 60 * 1000),
    });
    const viaInsert = await app.createToken('via insert', TokenPermission.READ_ONLY);
    const other = await app.otherOrganization();
    all.push(viaApi.createApiToken.secret, viaService.secret, viaInsert.secret);
    all.push(other.identity.secret);
    ids.push(viaApi.createApiToken.token.id, viaService.token.id, viaInsert.token.id);

    // Rotated through the API with a grace period: both secrets work for now.
    const rotatedWithGrace = await app
      .asFullAccess()
      .data<{ rotateApiToken: Created }>(ROTATE, { id: viaApi.createApiToken.token.id, grace: 60 });
    // Rotated through the service, at once: the old secret is dead.
    const rotatedNow = await app.services.tokens.rotate(
      app.systemActor('cli.token.rotate'),
      viaInsert.token.id,
      0,
    );
    all.push(rotatedWithGrace.rotateApiToken.secret, rotatedNow.secret);
    usable.push(
      viaApi.createApiToken.secret,
      rotatedWithGrace.rotateApiToken.secret,
      viaService.secret,
      rotatedNow.secret,
      other.identity.secret,
    );

    // Use every working secret, and send every dead one, so that last use and refusals happen.
    for (const secret of all) {
      const response = await app.client(secret).request(VIEWER);
      expect({ prefix: secret.slice(0, 12), status: response.status }).toEqual({
        prefix: secret.slice(0, 12),
        status: usable.includes(secret) ? 200 : 401,
      });
    }
    expect(new Set(all).size).toBe(all.length);
    return {
      all,
      usable,
      ids,
      prefixes: [
        rotatedWithGrace.rotateApiToken.token.prefix,
        viaService.token.prefix,
        rotatedNow.token.prefix,
      ],
      inGrace: { tokenId: viaApi.createApiToken.token.id, secret: viaApi.createApiToken.secret },
    };
  }

  /** The SQLite database and its -wal / -shm (or -journal) files, as bytes. */
  function databaseFiles(): { name: string; bytes: Buffer }[] {
    return readdirSync(app.dir)
      .filter((name) => name.startsWith('test.sqlite'))
      .map((name) => ({ name, bytes: readFileSync(join(app.dir, name)) }));
  }

  /**
   * On PostgreSQL: every row of every table of the test's schema (the migrations table too), each
   * table's values as one text, read through a connection of its own (so also after the app closed).
   */
  async function schemaTables(): Promise<{ name: string; values: string[] }[]> {
    const { config, schema } = app.database;
    if (config.type !== 'postgres' || schema === null) {
      throw new Error('schemaTables() reads a PostgreSQL test schema');
    }
    const client = new Client({ connectionString: config.url });
    await client.connect();
    try {
      const tables = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
        [schema],
      );
      const result: { name: string; values: string[] }[] = [];
      for (const { name } of tables.rows) {
        const rows = await client.query<Record<string, unknown>>(
          `SELECT * FROM "${schema}"."${name.replace(/"/g, '""')}"`,
        );
        result.push({ name, values: rows.rows.flatMap((row) => Object.values(row).map(asText)) });
      }
      return result;
    } finally {
      await client.end();
    }
  }

  /** No secret in the stored data: the SQLite files' bytes, or every stored PostgreSQL value. */
  async function expectStorageClean(
    secrets: readonly string[],
    prefixes: readonly string[],
  ): Promise<void> {
    if (TEST_DB === 'postgres') {
      const tables = await schemaTables();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['api_token', 'audit_event', 'migrations', 'organization']),
      );
      for (const { name, values } of tables) {
        // A table's values side by side, as a database page would hold them, and each alone.
        expectNoSecret(values.join('\u0000'), secrets, name);
        for (const value of values) {
          expectNoSecretShape(value, name);
        }
      }
      // The scan reads real data: what is stored (prefixes, hashes) is found in the same values.
      const together = tables.flatMap((t) => t.values).join('\u0000');
      for (const prefix of prefixes) {
        expect(together).toContain(prefix);
      }
      expect(together).toContain(sha256(secrets[0]));
      return;
    }
    expectFilesClean(secrets, prefixes);
  }

  function expectFilesClean(secrets: readonly string[], prefixes: readonly string[]): void {
    const files = databaseFiles();
    expect(files.map((f) => f.name)).toContain('test.sqlite');
    for (const { name, bytes } of files) {
      for (const secret of secrets) {
        expect({ name, at: bytes.indexOf(secret, 0, 'latin1') }).toEqual({ name, at: -1 });
      }
      expectNoSecret(bytes.toString('latin1'), secrets, name);
    }
    // The scan reads real data: what is stored (prefixes, hashes) is found in the same bytes.
    const together = Buffer.concat(files.map((f) => f.bytes));
    for (const prefix of prefixes) {
      expect(together.indexOf(prefix, 0, 'latin1')).toBeGreaterThanOrEqual(0);
    }
    expect(together.indexOf(sha256(secrets[0]), 0, 'latin1')).toBeGreaterThanOrEqual(0);
  }

  it('is in no database file (no stored value on PostgreSQL), while the app runs and after it closed', async () => {
    const issued = await issueSecrets();
    // The detector finds a secret inside raw bytes, and passes over a prefix followed by its hash.
    const sample = issued.all[0];
    expect(wellFormedSecretsIn(`\u0000${sample}\u0001`)).toEqual([sample]);
    expect(wellFormedSecretsIn(`${sample.slice(0, 12)}${sha256(sample)}`)).toEqual([]);
    await app.services.lastUse.flush();
    await expectStorageClean(issued.all, issued.prefixes);

    // Closing checkpoints the write-ahead log into the main file (SQLite) and writes what is
    // pending: scan that state too.
    await closeServices(app.services);
    await expectStorageClean(issued.all, issued.prefixes);
  });

  it('is stored only as its SHA-256 hex, and no column of any table holds one', async () => {
    const issued = await issueSecrets();
    await app.services.lastUse.flush();
    const { reader } = app.services.db;

    const rows: {
      id: string;
      prefix: string;
      secret_hash: string;
      previous_secret_hash: string;
    }[] = await reader.query('SELECT id, prefix, secret_hash, previous_secret_hash FROM api_token');
    for (const secret of issued.usable.filter((s) => s !== issued.inGrace.secret)) {
      const row = rows.find((r) => r.secret_hash === sha256(secret));
      expect(row?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row?.prefix).toBe(secret.slice(0, 12));
    }
    const grace = rows.find((r) => r.id === issued.inGrace.tokenId);
    expect(grace?.previous_secret_hash).toBe(sha256(issued.inGrace.secret));

    const tables: { name: string }[] =
      TEST_DB === 'postgres'
        ? await reader.query(
            `SELECT table_name AS name FROM information_schema.tables
             WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
            [app.database.schema],
          )
        : await reader.query("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['api_token', 'audit_event', 'organization']),
    );
    let scanned = 0;
    for (const { name } of tables) {
      const tableRows: Record<string, unknown>[] = await reader.query(
        `SELECT * FROM "${name.replace(/"/g, '""')}"`,
      );
      for (const row of tableRows) {
        for (const [column, value] of Object.entries(row)) {
          const text = asText(value);
          expectNoSecret(text, issued.all, `${name}.${column}`);
          expectNoSecretShape(text, `${name}.${column}`);
          scanned++;
        }
      }
    }
    expect(scanned).toBeGreaterThan(100);
  });

  it('is in no response of apiTokens, apiToken, viewer or auditEvents', async () => {
    const issued = await issueSecrets();
    const responses: { where: string; text: string }[] = [];
    const record = async (where: string, client: HttpClient, query: string, id?: string) => {
      const response = await client.request(query, id === undefined ? undefined : { id });
      expect({ where, errors: response.errors }).toEqual({ where, errors: undefined });
      responses.push({ where, text: response.text });
    };

    for (const [who, client] of [
      ['full access', app.asFullAccess()],
      ['read-only', app.asReadOnly()],
    ] as const) {
      const view = who === 'full access' ? VIEWER_FULL : VIEWER;
      const tokenQuery =
        who === 'full access' ? GET : GET.replace(/lastUsedIp|lastUsedUserAgent/g, '');
      const list = who === 'full access' ? LIST : LIST.replace(/lastUsedIp|lastUsedUserAgent/g, '');
      const audit = who === 'full access' ? AUDIT : AUDIT.replace(' ip ', ' ');
      await record(`${who}: apiTokens`, client, list);
      await record(`${who}: viewer`, client, view);
      await record(`${who}: auditEvents`, client, audit);
      for (const id of issued.ids) {
        await record(`${who}: apiToken(${id})`, client, tokenQuery, id);
      }
    }
    for (const secret of issued.usable) {
      await record(`viewer of ${secret.slice(0, 12)}`, app.client(secret), VIEWER);
    }

    for (const { where, text } of responses) {
      expectNoSecret(text, issued.all, where);
      expectNoSecretShape(text, where);
    }
    // The responses do describe the tokens: their prefixes are there.
    const listed = responses.find((r) => r.where === 'full access: apiTokens')?.text ?? '';
    for (const prefix of issued.prefixes) {
      expect(listed).toContain(prefix);
    }
    const audited = responses.find((r) => r.where === 'full access: auditEvents')?.text ?? '';
    expect(audited).toContain('rotateApiToken');
    expect(audited).toContain(app.identities.full.token.prefix);
  });

  it('is not echoed by a refusal of the secret itself', async () => {
    const issued = await issueSecrets();
    const dead = issued.all.filter((s) => !issued.usable.includes(s));
    expect(dead.length).toBeGreaterThan(0);
    for (const secret of dead) {
      const response = await app.client(secret).request(VIEWER);
      expect(response.status).toBe(401);
      expectNoSecret(response.text, [secret], `refusal of ${secret.slice(0, 12)}`);
      expectNoSecretShape(response.text, `refusal of ${secret.slice(0, 12)}`);
    }
    // A mistyped secret (checksum broken) is not echoed either.
    const typo = `${issued.usable[0].slice(0, 20)}${issued.usable[0][20] === 'A' ? 'B' : 'A'}${issued.usable[0].slice(21)}`;
    const response = await app.client(typo).request(VIEWER);
    expect(response.errors?.[0]?.extensions?.reason).toBe('MALFORMED');
    expectNoSecret(response.text, [typo], 'refusal of a mistyped secret');
    expectNoSecretShape(response.text, 'refusal of a mistyped secret');
  });

  it('is in no log line, not even in the log of a failing token change', async () => {
    const firstLine = capturedLogLines.length;
    const issued = await issueSecrets();

    // Make token writes fail inside the database, so that the server logs an unexpected error
    // with its SQL and parameters, while secrets are being created and rotated.
    await refuseTokenWrites(app);
    const created = await app.asFullAccess().request(CREATE, {
      input: { name: 'doomed', permission: 'FULL_ACCESS' },
    });
    const rotated = await app.asFullAccess().request(ROTATE, { id: issued.inGrace.tokenId });
    for (const response of [created, rotated]) {
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(response.text).not.toMatch(/api_token|refused by the test/);
      expectNoSecret(response.text, issued.all, 'failed mutation response');
      expectNoSecretShape(response.text, 'failed mutation response');
    }
    await app.services.lastUse.flush();

    const lines = capturedLogLines.slice(firstLine);
    expect(Array.isArray(capturedLogLines)).toBe(true);
    const errors = lines.filter((line) => line.includes('unexpected error'));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.join('\n')).toContain('token insert refused by the test');
    expect(errors.join('\n')).toContain('token rotation refused by the test');
    // The logged error carries the failed statement's SQL, but its parameters (the new prefix
    // and hash) are redacted.
    expect(errors.join('\n')).toMatch(/secret_hash/);
    expect(errors.join('\n')).toContain('"parameters":"[Redacted]"');
    expect(errors.join('\n')).not.toMatch(/[0-9a-f]{64}/);
    for (const line of lines) {
      expectNoSecret(line, issued.all, 'log line');
    }
    // Every line any app of this file logged so far.
    for (const line of capturedLogLines) {
      expectNoSecretShape(line, 'log line');
    }
  });
});
