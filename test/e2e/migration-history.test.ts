import { MIGRATIONS } from '../../src/db/migrations';
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { closeServices, openServices, type Services } from '../../src/app';
import type { Config, DatabaseConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/db/data-source';
import { InitialSchema1700000000000 } from '../../src/db/migrations/1700000000000-initial-schema';
import { createLogger } from '../../src/logger';
import { createHttpApp, type HttpApp } from '../../src/server';
import { generateSecret, hashSecret } from '../../src/tokens/secret';
import { HttpClient } from '../helpers/http-client';

/** SQLite's text form of a timestamp, as the old release wrote it: 'YYYY-MM-DD HH:MM:SS.SSS' UTC. */
const sqliteTime = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

interface OldToken {
  id: string;
  secret: string;
}

interface Fixture {
  dir: string;
  database: DatabaseConfig & { type: 'sqlite' };
  organizationId: string;
  active: OldToken;
  revoked: OldToken;
}

/** A database as the release before permission levels left it: first migration, raw rows. */
async function buildOldDatabase(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'statusgraph-migration-'));
  const database = { type: 'sqlite' as const, path: join(dir, 'old.sqlite') };
  const old = new DataSource({
    ...dataSourceOptions(database),
    migrations: [InitialSchema1700000000000],
  });
  await old.initialize();
  try {
    await old.runMigrations({ transaction: 'each' });
    const columns = (await old.query('PRAGMA table_info(api_token)')) as { name: string }[];
    expect(columns.map((c) => c.name)).not.toContain('permission');

    const organizationId = randomUUID();
    const created = sqliteTime(new Date('2024-05-01T08:30:15.123Z'));
    await old.query('INSERT INTO organization (id, name, created_at) VALUES (?, ?, ?)', [
      organizationId,
      'Legacy Inc',
      created,
    ]);
    const insertToken = async (name: string, revokedAt: string | null): Promise<OldToken> => {
      const token = { id: randomUUID(), secret: generateSecret() };
      await old.query(
        `INSERT INTO api_token (id, organization_id, name, prefix, secret_hash, active, created_at,
           revoked_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`,
        [
          token.id,
          organizationId,
          name,
          token.secret.slice(0, 12),
          hashSecret(token.secret),
          created,
          revokedAt,
          sqliteTime(new Date('2024-06-01T00:00:00.000Z')),
        ],
      );
      return token;
    };
    const active = await insertToken('deploy script', null);
    const revoked = await insertToken('old laptop', sqliteTime(new Date('2024-07-01T00:00:00Z')));
    return { dir, database, organizationId, active, revoked };
  } finally {
    await old.destroy();
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
      database: fixture.database,
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
    server = await new Promise<Server>((resolve) => {
      const s = http.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await http.apollo.stop();
    await closeServices(services);
    rmSync(fixture.dir, { recursive: true, force: true });
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
    const rows = (await services.db.reader.query('SELECT organization_id FROM board WHERE id = ?', [
      created.data?.createBoard.id,
    ])) as { organization_id: string }[];
    expect(rows).toEqual([{ organization_id: fixture.organizationId }]);
  });

  it('adds the permission column with FULL_ACCESS for every old row, and records the migrations', async () => {
    const columns = (await services.db.reader.query('PRAGMA table_info(api_token)')) as {
      name: string;
      notnull: number;
    }[];
    expect(columns.find((c) => c.name === 'permission')).toEqual(
      expect.objectContaining({ notnull: 1 }),
    );
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
    const rows = (await services.db.reader.query('SELECT permission FROM api_token WHERE id = ?', [
      created.createApiToken.token.id,
    ])) as { permission: string }[];
    expect(rows).toEqual([{ permission: 'READ_ONLY' }]);
    const readOnly = new HttpClient(`${url}/graphql`, created.createApiToken.secret);
    const denied = await readOnly.request('mutation { createBoard(input: { name: "no" }) { id } }');
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
