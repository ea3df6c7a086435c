import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { closeServices, openServices, type Services } from '../../src/app';
import type { Config } from '../../src/core/config';
import { dataSourceOptions } from '../../src/db/data-source';
import { MIGRATIONS } from '../../src/db/migrations';
import { InitialSchema1700000000000 } from '../../src/db/migrations/1700000000000-initial-schema';
import { TokenBoardScope1700000005016 } from '../../src/db/migrations/1700000005016-token-board-scope';
import { createLogger } from '../../src/core/logger';
import { createHttpApp, type HttpApp, listen } from '../../src/server/http-app';
import { generateSecret, hashSecret } from '../../src/tokens/secret';
import { HttpClient } from '../helpers/http-client';
import { TEST_DB, type TestDatabase, createTestDatabase } from '../helpers/test-database';

/**
 * A timestamp as the old release wrote it: SQLite's text form 'YYYY-MM-DD HH:MM:SS.SSS' UTC, or
 * on PostgreSQL the Date itself (a timestamptz parameter).
 */
const oldTime = (date: Date): string | Date =>
  TEST_DB === 'postgres' ? date : date.toISOString().replace('T', ' ').replace('Z', '');

/** SQL written with `?` placeholders, numbered `$1`, `$2`, … on PostgreSQL. */
function sql(text: string): string {
  let n = 0;
  return TEST_DB === 'postgres' ? text.replace(/\?/g, () => `$${++n}`) : text;
}

type Query = (query: string, parameters?: unknown[]) => Promise<unknown>;

/** The columns of api_token with whether they are NOT NULL, as the database describes them. */
async function apiTokenColumns(
  query: Query,
  database: TestDatabase,
): Promise<{ name: string; notNull: boolean }[]> {
  if (TEST_DB === 'postgres') {
    const rows = (await query(
      `SELECT column_name AS name, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'api_token' ORDER BY ordinal_position`,
      [database.schema],
    )) as { name: string; is_nullable: string }[];
    return rows.map((c) => ({ name: c.name, notNull: c.is_nullable === 'NO' }));
  }
  const rows = (await query('PRAGMA table_info(api_token)')) as { name: string; notnull: number }[];
  return rows.map((c) => ({ name: c.name, notNull: c.notnull === 1 }));
}

interface OldToken {
  id: string;
  secret: string;
}

interface Fixture {
  database: TestDatabase;
  organizationId: string;
  active: OldToken;
  revoked: OldToken;
}

/** A database as the release before permission levels left it: first migration, raw rows. */
async function buildOldDatabase(): Promise<Fixture> {
  const database = await createTestDatabase();
  const old = new DataSource({
    ...dataSourceOptions(database.config),
    migrations: [InitialSchema1700000000000],
  });
  try {
    await old.initialize();
    await old.runMigrations({ transaction: 'each' });
    const columns = await apiTokenColumns((q, p) => old.query(q, p), database);
    expect(columns.map((c) => c.name)).toContain('secret_hash');
    expect(columns.map((c) => c.name)).not.toContain('permission');

    const organizationId = randomUUID();
    const created = oldTime(new Date('2024-05-01T08:30:15.123Z'));
    await old.query(sql('INSERT INTO organization (id, name, created_at) VALUES (?, ?, ?)'), [
      organizationId,
      'Legacy Inc',
      created,
    ]);
    const insertToken = async (
      name: string,
      revokedAt: string | Date | null,
    ): Promise<OldToken> => {
      const token = { id: randomUUID(), secret: generateSecret() };
      await old.query(
        sql(`INSERT INTO api_token (id, organization_id, name, prefix, secret_hash, active,
               created_at, revoked_at, last_used_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        [
          token.id,
          organizationId,
          name,
          token.secret.slice(0, 12),
          hashSecret(token.secret),
          TEST_DB === 'postgres' ? true : 1,
          created,
          revokedAt,
          oldTime(new Date('2024-06-01T00:00:00.000Z')),
        ],
      );
      return token;
    };
    const active = await insertToken('deploy script', null);
    const revoked = await insertToken('old laptop', oldTime(new Date('2024-07-01T00:00:00Z')));
    return { database, organizationId, active, revoked };
  } catch (error) {
    await database.drop();
    throw error;
  } finally {
    if (old.isInitialized) {
      await old.destroy();
    }
  }
}

describe('a database from before permission levels', () => {
  let fixture: Fixture;
  let services: Services;
  let http: HttpApp;
  let server: Server;
  let url: string;

  beforeEach(async () => {
    fixture = await buildOldDatabase();
    const config: Config = {
      port: 0,
      database: fixture.database.config,
      logLevel: 'warn',
      lastUsedWriteIntervalSeconds: 60,
    };
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    });
    // Opening the services runs the migrations that are still pending.
    services = await openServices(config, createLogger('warn', sink));
    http = await createHttpApp(services);
    server = await listen(http.listener, 0, '127.0.0.1');
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await http.apollo.stop();
    await closeServices(services);
    await fixture.database.drop();
  });

  it('keeps the old secret working as a FULL_ACCESS token that can still change things', async () => {
    const client = new HttpClient(`${url}/graphql`, fixture.active.secret);
    const viewer = await client.request<{
      viewer: {
        permission: string;
        organization: { id: string; name: string };
        token: { id: string; name: string; permission: string; prefix: string; status: string };
      };
    }>(
      '{ viewer { permission organization { id name } token { id name permission prefix status } } }',
    );
    expect(viewer.status).toBe(200);
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data?.viewer).toEqual({
      permission: 'FULL_ACCESS',
      organization: { id: fixture.organizationId, name: 'Legacy Inc' },
      token: {
        id: fixture.active.id,
        name: 'deploy script',
        permission: 'FULL_ACCESS',
        prefix: fixture.active.secret.slice(0, 12),
        status: 'ACTIVE',
      },
    });

    const created = await client.request<{ createBoard: { id: string; name: string } }>(
      'mutation { createBoard(input: { name: "After the upgrade" }) { id name } }',
    );
    expect(created.status).toBe(200);
    expect(created.errors).toBeUndefined();
    expect(created.data?.createBoard.name).toBe('After the upgrade');
    const rows = (await services.db.reader.query(
      sql('SELECT organization_id FROM board WHERE id = ?'),
      [created.data?.createBoard.id],
    )) as { organization_id: string }[];
    expect(rows).toEqual([{ organization_id: fixture.organizationId }]);
  });

  it('adds the permission column with FULL_ACCESS for every old row, and records the migrations', async () => {
    const columns = await apiTokenColumns(
      (q, p) => services.db.reader.query(q, p),
      fixture.database,
    );
    expect(columns.find((c) => c.name === 'permission')).toEqual({
      name: 'permission',
      notNull: true,
    });
    const tokens = (await services.db.reader.query(
      'SELECT id, permission, secret_hash FROM api_token ORDER BY name',
    )) as { id: string; permission: string; secret_hash: string }[];
    expect(tokens).toEqual([
      {
        id: fixture.active.id,
        permission: 'FULL_ACCESS',
        secret_hash: hashSecret(fixture.active.secret),
      },
      {
        id: fixture.revoked.id,
        permission: 'FULL_ACCESS',
        secret_hash: hashSecret(fixture.revoked.secret),
      },
    ]);
    const migrations = (await services.db.reader.query(
      'SELECT name FROM migrations ORDER BY timestamp',
    )) as { name: string }[];
    expect(migrations.map((m) => m.name)).toEqual(
      MIGRATIONS.map((Migration) => new Migration().name),
    );
    expect(migrations.map((m) => m.name).slice(0, 2)).toEqual([
      'InitialSchema1700000000000',
      'TokenPermission1700000001000',
    ]);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('keeps old timestamps with their milliseconds and a revoked old token revoked', async () => {
    const client = new HttpClient(`${url}/graphql`, fixture.active.secret);
    const token = await client.data<{
      apiToken: { createdAt: string; permission: string; status: string; revokedAt: string };
    }>('query($id: ID!) { apiToken(id: $id) { createdAt permission status revokedAt } }', {
      id: fixture.revoked.id,
    });
    expect(token.apiToken).toEqual({
      createdAt: '2024-05-01T08:30:15.123Z',
      permission: 'FULL_ACCESS',
      status: 'REVOKED',
      revokedAt: '2024-07-01T00:00:00.000Z',
    });
    const refused = await new HttpClient(`${url}/graphql`, fixture.revoked.secret).request(
      '{ viewer { permission } }',
    );
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.reason).toBe('REVOKED');
  });

  it('gives new tokens the permission chosen for them, not the backfill default', async () => {
    const client = new HttpClient(`${url}/graphql`, fixture.active.secret);
    const created = await client.data<{
      createApiToken: { secret: string; token: { id: string; permission: string } };
    }>(
      'mutation { createApiToken(input: { name: "BI", permission: READ_ONLY }) { secret token { id permission } } }',
    );
    expect(created.createApiToken.token.permission).toBe('READ_ONLY');
    const rows = (await services.db.reader.query(
      sql('SELECT permission FROM api_token WHERE id = ?'),
      [created.createApiToken.token.id],
    )) as { permission: string }[];
    expect(rows).toEqual([{ permission: 'READ_ONLY' }]);
    const readOnly = new HttpClient(`${url}/graphql`, created.createApiToken.secret);
    const denied = await readOnly.request('mutation { createBoard(input: { name: "no" }) { id } }');
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('a database from before board-scoped tokens', () => {
  let database: TestDatabase;
  let services: Services;
  let http: HttpApp;
  let server: Server;
  let url: string;
  const organizationId = randomUUID();
  const boardId = randomUUID();
  const full = { id: randomUUID(), secret: generateSecret() };
  const readOnly = { id: randomUUID(), secret: generateSecret() };

  /** Every migration before the scope's, then raw rows as that release wrote them. */
  beforeEach(async () => {
    database = await createTestDatabase();
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(TokenBoardScope1700000005016));
    const old = new DataSource({ ...dataSourceOptions(database.config), migrations: before });
    try {
      await old.initialize();
      await old.runMigrations({ transaction: 'each' });
      const columns = await apiTokenColumns((q, p) => old.query(q, p), database);
      expect(columns.map((c) => c.name)).not.toContain('board_scoped');
      const created = oldTime(new Date('2025-03-01T10:00:00.250Z'));
      await old.query(sql('INSERT INTO organization (id, name, created_at) VALUES (?, ?, ?)'), [
        organizationId,
        'Before scopes',
        created,
      ]);
      await old.query(
        sql(
          'INSERT INTO board (id, organization_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        ),
        [boardId, organizationId, 'Payments', created, created],
      );
      for (const [token, permission] of [
        [full, 'FULL_ACCESS'],
        [readOnly, 'READ_ONLY'],
      ] as const) {
        await old.query(
          sql(`INSERT INTO api_token (id, organization_id, name, permission, prefix, secret_hash,
                 active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
          [
            token.id,
            organizationId,
            permission,
            permission,
            token.secret.slice(0, 12),
            hashSecret(token.secret),
            TEST_DB === 'postgres' ? true : 1,
            created,
          ],
        );
      }
    } finally {
      if (old.isInitialized) {
        await old.destroy();
      }
    }
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    });
    services = await openServices(
      { port: 0, database: database.config, logLevel: 'warn', lastUsedWriteIntervalSeconds: 60 },
      createLogger('warn', sink),
    );
    http = await createHttpApp(services);
    server = await listen(http.listener, 0, '127.0.0.1');
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await http.apollo.stop();
    await closeServices(services);
    await database.drop();
  });

  it('makes every existing token organization-wide, with no board rows', async () => {
    const columns = await apiTokenColumns((q, p) => services.db.reader.query(q, p), database);
    expect(columns.find((c) => c.name === 'board_scoped')).toEqual({
      name: 'board_scoped',
      notNull: true,
    });
    const rows = (await services.db.reader.query(
      'SELECT id, board_scoped FROM api_token ORDER BY permission',
    )) as { id: string; board_scoped: boolean | number }[];
    expect(rows.map((r) => ({ id: r.id, scoped: Boolean(r.board_scoped) }))).toEqual([
      { id: full.id, scoped: false },
      { id: readOnly.id, scoped: false },
    ]);
    expect(await services.db.reader.query('SELECT * FROM api_token_board')).toEqual([]);
  });

  it('keeps old tokens working on every board, and the full-access one on organization data', async () => {
    for (const token of [full, readOnly]) {
      const client = new HttpClient(`${url}/graphql`, token.secret);
      const seen = await client.data<{
        viewer: { token: { id: string; boards: null } };
        boards: { nodes: { id: string }[] };
        apiTokens: { totalCount: number };
      }>(
        '{ viewer { token { id boards { id } } } boards { nodes { id } } apiTokens { totalCount } }',
      );
      expect(seen).toEqual({
        viewer: { token: { id: token.id, boards: null } },
        boards: { nodes: [{ id: boardId }] },
        apiTokens: { totalCount: 2 },
      });
    }
    const client = new HttpClient(`${url}/graphql`, full.secret);
    const created = await client.data<{ createBoard: { id: string } }>(
      'mutation { createBoard(input: { name: "After the upgrade" }) { id } }',
    );
    expect(created.createBoard.id).toEqual(expect.any(String));
  });
});
