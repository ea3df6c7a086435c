import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/db/migrations';
import { hashSecret } from '../../src/tokens/secret';
import { TokenPermission } from '../../src/tokens/token-permission';
import { type GraphQLResponse, HttpClient } from '../helpers/http-client';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';
import type { Child } from '../helpers/child-process';
import { freePort, killAll, spawnMain } from '../helpers/child-process';
import { until } from '../helpers/wait';
import { type Instance as SharedInstance, startInstance } from '../helpers/instance';

/**
 * Several instances on one PostgreSQL database: what API.md promises "on every instance" and
 * "under concurrent requests". A *.postgres.test.ts file, run under `npm run test:postgres` only
 * (`npm test` needs no PostgreSQL server): the traps tested here (migrations without a lock,
 * write skew, last-use writes of several instances) are PostgreSQL's.
 *
 * Part one runs two real server processes (`node dist/src/main.js`, built by `pretest`) started
 * at the same moment on one fresh schema. Part two, the races, runs two instances in this process,
 * each with its own Services and connection pool, on one schema: for the database they are two
 * clients like two processes, and many iterations stay fast.
 */

const SECRET = /sgp_[0-9A-Za-z]{36}/g;
const LOCK_OUT_MESSAGE = /last usable full-access token/;
const MIGRATION_NAMES = MIGRATIONS.map((Migration) => new Migration().name ?? Migration.name);

const children: Child[] = [];

function postgresUrl(database: TestDatabase): string {
  if (database.config.type !== 'postgres') {
    throw new Error('expected a PostgreSQL test database');
  }
  return database.config.url;
}

/** The schema's URL with an application_name, so the database can tell the instances apart. */
function urlNamed(database: TestDatabase, applicationName: string): string {
  const url = new URL(postgresUrl(database));
  url.searchParams.set('application_name', applicationName);
  return url.toString();
}

interface ProcessInstance {
  name: string;
  child: Child;
  url: string;
}

/** Spawns `node dist/src/main.js` (no waiting): the caller starts several at one moment. */
function spawnServer(name: string, port: number, databaseUrl: string): ProcessInstance {
  const child = spawnMain(port, databaseUrl);
  children.push(child);
  return { name, child, url: `http://127.0.0.1:${port}` };
}

function client(instance: { url: string }, secret: string, userAgent?: string): HttpClient {
  return new HttpClient(`${instance.url}/graphql`, secret, userAgent);
}

/** A database client on the schema (its search_path comes with the URL). */
async function connect(database: TestDatabase): Promise<Client> {
  const pg = new Client({ connectionString: postgresUrl(database) });
  await pg.connect();
  return pg;
}

/** The error codes of a response, in order (none: []). */
function codes(response: GraphQLResponse): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

/** A value of the metrics text, e.g. statusgraph_last_used_writes_total. */
async function metric(instance: { url: string }, name: string): Promise<number> {
  const response = await fetch(`${instance.url}/metrics`);
  expect(response.status).toBe(200);
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(await response.text());
  if (match === null) {
    throw new Error(`no ${name} in /metrics`);
  }
  return Number(match[1]);
}

interface CreatedToken {
  createApiToken: { secret: string; token: { id: string; permission: string } };
}

const TOKEN_FIELDS = 'id name permission status active prefix revokedAt lastUsedAt';
const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret token { id permission } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) {
  updateApiToken(id: $id, input: $input) { ${TOKEN_FIELDS} } }`;
const DEACTIVATE = `mutation($id: ID!) { deactivateApiToken(id: $id) { ${TOKEN_FIELDS} } }`;
const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { ${TOKEN_FIELDS} } }`;
const ROTATE = `mutation($id: ID!) {
  rotateApiToken(id: $id) { secret token { ${TOKEN_FIELDS} } } }`;
const VIEWER = '{ viewer { permission token { id status } } }';
const CREATE_BOARD = 'mutation($name: String!) { createBoard(input: { name: $name }) { id } }';
const UPDATE_BOARD = `mutation($id: ID!, $name: String!) {
  updateBoard(id: $id, input: { name: $name }) { id } }`;

async function createToken(
  instance: { url: string },
  adminSecret: string,
  name: string,
  permission: 'FULL_ACCESS' | 'READ_ONLY',
): Promise<{ id: string; secret: string }> {
  const created = await client(instance, adminSecret).data<CreatedToken>(CREATE, {
    input: { name, permission },
  });
  expect(created.createApiToken.token.permission).toBe(permission);
  return { id: created.createApiToken.token.id, secret: created.createApiToken.secret };
}

describe('two server processes started at the same moment on one PostgreSQL schema', () => {
  let database: TestDatabase | undefined;
  let pg: Client | undefined;
  let a: ProcessInstance;
  let b: ProcessInstance;

  function db(): Client {
    if (pg === undefined) {
      throw new Error('no database client');
    }
    return pg;
  }

  /** The secret the first start printed (whichever instance printed it). */
  function bootstrapSecret(): string {
    const printed = [...secretsIn(a.child.stdout), ...secretsIn(b.child.stdout)];
    expect(printed.length).toBeGreaterThanOrEqual(1);
    return printed[0];
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    pg = await connect(database);
    const [portA, portB] = await Promise.all([freePort(), freePort()]);
    // Both spawned in the same tick: they migrate and bootstrap at the same moment.
    a = spawnServer('a', portA, urlNamed(database, 'statusgraph-a'));
    b = spawnServer('b', portB, urlNamed(database, 'statusgraph-b'));
    await Promise.all([
      a.child.waitForStdout(/"msg":"statusgraph listening on /),
      b.child.waitForStdout(/"msg":"statusgraph listening on /),
    ]);
  }, 45_000);

  afterAll(async () => {
    await killAll(children);
    await pg?.end();
    await database?.drop();
  });

  it('both come up; the migrations ran once; exactly one of them printed a bootstrap secret', async () => {
    for (const instance of [a, b]) {
      expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
      expect(instance.child.stderr).toBe('');
    }
    const migrations = await db().query<{ name: string }>(
      'SELECT name FROM migrations ORDER BY id',
    );
    expect(migrations.rows.map((row) => row.name)).toEqual(MIGRATION_NAMES);

    const printed = [a, b].map((instance) => ({
      name: instance.name,
      secrets: secretsIn(instance.child.stdout).length,
      banner: instance.child.stdout.includes('Created organization'),
    }));
    const organizations = await db().query<{ name: string }>('SELECT name FROM organization');
    // One comparison, so a failure shows both instances and the organizations made.
    expect({
      printedBy: printed.filter((p) => p.secrets > 0 || p.banner).length,
      secretsPrinted: printed.reduce((sum, p) => sum + p.secrets, 0),
      organizations: organizations.rows.map((row) => row.name),
    }).toEqual({ printedBy: 1, secretsPrinted: 1, organizations: ['Default'] });

    // The printed secret works on both instances.
    const secret = bootstrapSecret();
    for (const instance of [a, b]) {
      const viewer = await client(instance, secret).data<{ viewer: { permission: string } }>(
        VIEWER,
      );
      expect(viewer.viewer.permission).toBe('FULL_ACCESS');
    }
  });

  it('a token changed through A holds on B from its very next request', async () => {
    const admin = bootstrapSecret();
    const readOnly = await createToken(a, admin, 'reader', 'READ_ONLY');
    const toDeactivate = await createToken(a, admin, 'to deactivate', 'FULL_ACCESS');
    const toDowngrade = await createToken(a, admin, 'to downgrade', 'FULL_ACCESS');
    const toRotate = await createToken(a, admin, 'to rotate', 'FULL_ACCESS');
    const asAdminOnA = client(a, admin);

    // Every token works on B first, so B has seen each of them before the change.
    for (const token of [readOnly, toDeactivate, toDowngrade, toRotate]) {
      const viewer = await client(b, token.secret).data<{ viewer: { token: { id: string } } }>(
        VIEWER,
      );
      expect(viewer.viewer.token.id).toBe(token.id);
    }

    // Revoked through A → B refuses it at once: 401 REVOKED.
    await asAdminOnA.data(REVOKE, { id: readOnly.id });
    const revoked = await client(b, readOnly.secret).request(VIEWER);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toBe('Bearer');
    expect(revoked.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
      ['UNAUTHENTICATED', 'REVOKED'],
    ]);

    // Deactivated through A → B: 401 INACTIVE.
    await asAdminOnA.data(DEACTIVATE, { id: toDeactivate.id });
    const inactive = await client(b, toDeactivate.secret).request(VIEWER);
    expect(inactive.status).toBe(401);
    expect(inactive.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
      ['UNAUTHENTICATED', 'INACTIVE'],
    ]);

    // Downgraded through A → its next mutation on B is FORBIDDEN, and changes nothing.
    const onB = client(b, toDowngrade.secret);
    await onB.data(CREATE_BOARD, { name: 'before the downgrade' });
    await asAdminOnA.data(UPDATE, { id: toDowngrade.id, input: { permission: 'READ_ONLY' } });
    const forbidden = await onB.request(CREATE_BOARD, { name: 'after the downgrade' });
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
    expect(forbidden.errors?.[0]?.extensions?.requiredPermission).toBe('FULL_ACCESS');
    expect(
      (await db().query("SELECT id FROM board WHERE name = 'after the downgrade'")).rowCount,
    ).toBe(0);
    const viewerAfter = await onB.data<{ viewer: { permission: string } }>(VIEWER);
    expect(viewerAfter.viewer.permission).toBe('READ_ONLY');

    // Rotated through A → the old secret is refused on B at once, the new one works there.
    const rotated = await asAdminOnA.data<{ rotateApiToken: { secret: string } }>(ROTATE, {
      id: toRotate.id,
    });
    const newSecret = rotated.rotateApiToken.secret;
    expect(newSecret).not.toBe(toRotate.secret);
    const old = await client(b, toRotate.secret).request(VIEWER);
    expect(old.status).toBe(401);
    expect(old.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
      ['UNAUTHENTICATED', 'UNKNOWN'],
    ]);
    const fresh = await client(b, newSecret).data<{ viewer: { token: { id: string } } }>(VIEWER);
    expect(fresh.viewer.token.id).toBe(toRotate.id);
  });

  it('audits every mutation spread over both instances, with the right outcomes', async () => {
    const admin = bootstrapSecret();
    const writer = await createToken(a, admin, 'audit writer', 'FULL_ACCESS');
    const reader = await createToken(a, admin, 'audit reader', 'READ_ONLY');
    const n = 36;
    type Kind = 'succeeds' | 'forbidden' | 'not found';
    const kinds: Kind[] = ['succeeds', 'forbidden', 'not found'];
    const planned = Array.from({ length: n }, (_, i) => ({
      kind: kinds[i % 3],
      instance: i % 2 === 0 ? a : b,
      missingId: randomUUID(),
    }));
    // All at once, half on each instance.
    const responses = await Promise.all(
      planned.map(({ kind, instance, missingId }, i) =>
        kind === 'succeeds'
          ? client(instance, writer.secret).request<{ createBoard: { id: string } }>(CREATE_BOARD, {
              name: `audited ${i}`,
            })
          : kind === 'forbidden'
            ? client(instance, reader.secret).request(CREATE_BOARD, { name: `denied ${i}` })
            : client(instance, writer.secret).request(UPDATE_BOARD, {
                id: missingId,
                name: `missing ${i}`,
              }),
      ),
    );
    const expected = planned.map(({ kind, missingId }, i) => {
      const response = responses[i];
      expect(response.status).toBe(200);
      if (kind === 'succeeds') {
        expect(codes(response)).toEqual([]);
        const id = (response.data as { createBoard?: { id: string } } | null | undefined)
          ?.createBoard?.id;
        return `createBoard SUCCEEDED ${writer.id} ${id}`;
      }
      if (kind === 'forbidden') {
        expect(codes(response)).toEqual(['FORBIDDEN']);
        return `createBoard DENIED ${reader.id} null`;
      }
      expect(codes(response)).toEqual(['NOT_FOUND']);
      return `updateBoard FAILED ${writer.id} ${missingId}`;
    });

    const stored = await db().query<{
      action: string;
      outcome: string;
      token_id: string;
      target_id: string | null;
    }>(
      'SELECT action, outcome, token_id, target_id FROM audit_event WHERE token_id = ANY($1::varchar[])',
      [[writer.id, reader.id]],
    );
    expect(
      stored.rows.map((e) => `${e.action} ${e.outcome} ${e.token_id} ${e.target_id}`).sort(),
    ).toEqual(expected.sort());
    // Both instances list all of them through the API.
    for (const instance of [a, b]) {
      const listed = await client(instance, admin).data<{
        writer: { nodes: { outcome: string }[] };
        reader: { nodes: { outcome: string }[] };
      }>(
        `query($w: ID!, $r: ID!) {
          writer: auditEvents(filter: { tokenId: $w }, first: 1000) { nodes { outcome } }
          reader: auditEvents(filter: { tokenId: $r }, first: 1000) { nodes { outcome } }
        }`,
        { w: writer.id, r: reader.id },
      );
      expect(listed.writer.nodes).toHaveLength((n / 3) * 2);
      expect(listed.reader.nodes.map((e) => e.outcome)).toEqual(
        Array.from({ length: n / 3 }, () => 'DENIED'),
      );
    }
  });

  // Last: it stops both instances.
  it('writes a token’s last use at most once per minute per instance plus the shutdown flush', async () => {
    const admin = bootstrapSecret();
    const used = await createToken(a, admin, 'busy integration', 'READ_ONLY');
    // Every effective write of the column, with the instance's application_name.
    await db().query(`
      CREATE TABLE last_use_write_log (
        token_id varchar(36) NOT NULL, app text NOT NULL, last_used_at timestamptz);
      CREATE FUNCTION log_last_use_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO last_use_write_log VALUES (NEW.id, current_setting('application_name'), NEW.last_used_at);
          RETURN NEW;
        END $$;
      CREATE TRIGGER last_use_write_log AFTER UPDATE ON api_token FOR EACH ROW
        WHEN (OLD.last_used_at IS DISTINCT FROM NEW.last_used_at)
        EXECUTE FUNCTION log_last_use_write();`);
    const writes = async () => {
      const rows = await db().query<{ app: string; n: string }>(
        'SELECT app, count(*) AS n FROM last_use_write_log WHERE token_id = $1 GROUP BY app',
        [used.id],
      );
      return Object.fromEntries(rows.rows.map((row) => [row.app, Number(row.n)]));
    };

    const metricName = 'statusgraph_last_used_writes_total';
    const before = { a: await metric(a, metricName), b: await metric(b, metricName) };
    const requests = 30;
    for (let i = 0; i < requests; i++) {
      const instance = i % 2 === 0 ? a : b;
      const viewer = await client(instance, used.secret, `agent-${i}`).data<{
        viewer: { token: { id: string } };
      }>(VIEWER);
      expect(viewer.viewer.token.id).toBe(used.id);
    }
    // The first use on each instance is written at once (in the background): wait for both.
    const written = async () => ({
      a: await metric(a, metricName),
      b: await metric(b, metricName),
    });
    await until(
      async () => {
        const now = await written();
        return now.a !== before.a && now.b !== before.b;
      },
      'the first write of each instance',
      5000,
    );
    const after = await written();
    // One write per instance so far (the first use); the 28 later uses wait for the minute.
    expect({ a: after.a - before.a, b: after.b - before.b }).toEqual({ a: 1, b: 1 });

    // What each instance knows of the token's last use (pending use included).
    const known = async (instance: ProcessInstance) => {
      const token = await client(instance, admin).data<{
        apiToken: { lastUsedAt: string; lastUsedUserAgent: string };
      }>('query($id: ID!) { apiToken(id: $id) { lastUsedAt lastUsedUserAgent } }', {
        id: used.id,
      });
      return {
        at: new Date(token.apiToken.lastUsedAt).getTime(),
        agent: token.apiToken.lastUsedUserAgent,
      };
    };
    const knownByA = await known(a);
    const knownByB = await known(b);
    // Each instance knows its own last request (pending): A the 29th, B the 30th and last.
    expect(knownByA.agent).toBe(`agent-${requests - 2}`);
    expect(knownByB.agent).toBe(`agent-${requests - 1}`);
    expect(knownByB.at).toBeGreaterThanOrEqual(knownByA.at);

    for (const instance of [a, b]) {
      instance.child.process.kill('SIGTERM');
    }
    for (const instance of [a, b]) {
      expect(await instance.child.waitForExit()).toEqual({ code: 0, signal: null });
      expect(instance.child.logLines().at(-1)?.msg).toBe('stopped');
      expect(instance.child.stderr).toBe('');
      // No warning (such as a failed last-use write) or error in either log.
      expect(instance.child.logLines().filter((line) => (line.level ?? 0) >= 40)).toEqual([]);
    }

    const perInstance = await writes();
    expect(Object.keys(perInstance).every((app) => /^statusgraph-[ab]$/.test(app))).toBe(true);
    expect(perInstance['statusgraph-a'] ?? 0).toBeLessThanOrEqual(2);
    expect(perInstance['statusgraph-b'] ?? 0).toBeLessThanOrEqual(2);
    expect(perInstance['statusgraph-b'] ?? 0).toBeGreaterThanOrEqual(1);
    const stored = await db().query<{ last_used_at: Date | null; last_used_user_agent: string }>(
      'SELECT last_used_at, last_used_user_agent FROM api_token WHERE id = $1',
      [used.id],
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].last_used_at?.getTime()).toBe(knownByB.at);
    // B's use is the newest, unless both fell in one millisecond (a tie: either is the newest).
    expect(stored.rows[0].last_used_user_agent).toEqual(
      knownByB.at > knownByA.at
        ? `agent-${requests - 1}`
        : expect.stringMatching(new RegExp(`^agent-(${requests - 2}|${requests - 1})$`)),
    );
  }, 45_000);
});

/** The distinct secrets a text shows. */
function secretsIn(text: string): string[] {
  return [...new Set(text.match(SECRET) ?? [])];
}

interface Instance extends SharedInstance {
  name: string;
}

// The races send hundreds of requests, many with revoked tokens, from one address: limits far
// above that (shared through PostgreSQL all the same), so that only the races are tested.
const RACE_LIMITS = {
  costBucketSize: 1_000_000_000,
  costRestoreRate: 1_000_000_000,
  authFailuresPerMinute: 1_000_000_000,
};

async function startRaceInstance(name: string, url: string, logLines: string[]): Promise<Instance> {
  return { name, ...(await startInstance({ type: 'postgres', url }, RACE_LIMITS, logLines)) };
}

describe('races between two instances on one PostgreSQL schema (two Services in this process)', () => {
  const ITERATIONS = 25;
  let database: TestDatabase | undefined;
  let pg: Client | undefined;
  const instances: Instance[] = [];
  const logLines: string[] = [];
  let a: Instance;
  let b: Instance;

  function db(): Client {
    if (pg === undefined) {
      throw new Error('no database client');
    }
    return pg;
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    pg = await connect(database);
    // Opened together: they migrate under the advisory lock at the same moment.
    const [first, second] = await Promise.all([
      startRaceInstance('a', urlNamed(database, 'race-a'), logLines),
      startRaceInstance('b', urlNamed(database, 'race-b'), logLines),
    ]);
    instances.push(first, second);
    a = first;
    b = second;
  }, 30_000);

  afterEach(() => {
    // No instance logged a warning or an error (a failed write, an unexpected error).
    expect(logLines.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    for (const instance of instances.splice(0)) {
      await instance.close();
    }
    await pg?.end();
    await database?.drop();
  });

  /** A new organization with its first FULL_ACCESS token, made as the CLI makes it. */
  async function organization(name: string) {
    const created = await a.services.organizations.create(name, 'test.setup');
    return {
      id: created.organization.id,
      first: { id: created.token.id, secret: created.secret },
    };
  }

  /** A token inserted directly (fixture set-up, not audited). */
  async function insertToken(organizationId: string, name: string, permission: TokenPermission) {
    const created = await a.services.db.write((manager) =>
      a.services.tokens.insert(manager, organizationId, { name, permission }),
    );
    return { id: created.token.id, secret: created.secret };
  }

  async function usableFullAccess(organizationId: string): Promise<string[]> {
    const rows = await db().query<{ id: string }>(
      `SELECT id FROM api_token WHERE organization_id = $1 AND permission = 'FULL_ACCESS'
         AND revoked_at IS NULL AND active AND (expires_at IS NULL OR expires_at > now())`,
      [organizationId],
    );
    return rows.rows.map((row) => row.id);
  }

  async function auditOutcomes(targetId: string): Promise<string[]> {
    const rows = await db().query<{ action: string; outcome: string }>(
      'SELECT action, outcome FROM audit_event WHERE target_id = $1',
      [targetId],
    );
    return rows.rows.map((row) => `${row.action} ${row.outcome}`).sort();
  }

  /** No response of a race is a server error. */
  function expectClean(responses: GraphQLResponse[]): void {
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(codes(response)).not.toContain('INTERNAL_SERVER_ERROR');
    }
  }

  it(`revoking one token on both instances at once: exactly one succeeds (${ITERATIONS} iterations)`, async () => {
    const org = await organization('Revoke race');
    const second = await insertToken(org.id, 'second admin', TokenPermission.FULL_ACCESS);
    const onA = client(a, org.first.secret);
    const onB = client(b, second.secret);
    let ran = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const permission = i % 2 === 0 ? TokenPermission.READ_ONLY : TokenPermission.FULL_ACCESS;
      const target = await insertToken(org.id, `revoke target ${i}`, permission);
      const responses = await Promise.all([
        onA.request<{ revokeApiToken: { status: string } }>(REVOKE, { id: target.id }),
        onB.request<{ revokeApiToken: { status: string } }>(REVOKE, { id: target.id }),
      ]);
      expectClean(responses);
      const succeeded = responses.filter((r) => r.errors === undefined);
      const refused = responses.filter((r) => r.errors !== undefined);
      expect({ iteration: i, succeeded: succeeded.length, refused: refused.map(codes) }).toEqual({
        iteration: i,
        succeeded: 1,
        refused: [['BAD_USER_INPUT']],
      });
      expect(succeeded[0].data?.revokeApiToken.status).toBe('REVOKED');
      expect(refused[0].errors?.[0]?.message).toMatch(/revoked and cannot be revoked again/);
      const stored = await db().query<{ revoked_at: Date | null }>(
        'SELECT revoked_at FROM api_token WHERE id = $1',
        [target.id],
      );
      expect(stored.rows[0].revoked_at).toBeInstanceOf(Date);
      expect(await auditOutcomes(target.id)).toEqual([
        'revokeApiToken FAILED',
        'revokeApiToken SUCCEEDED',
      ]);
      for (const instance of [a, b]) {
        const refusedNow = await client(instance, target.secret).request(VIEWER);
        expect(refusedNow.errors?.[0]?.extensions?.reason).toBe('REVOKED');
      }
      ran++;
    }
    expect(ran).toBe(ITERATIONS);
    process.stdout.write(`revoke race: ${ran} iterations\n`);
  }, 30_000);

  it(`rotating one token on both instances at once: the last rotation in commit order wins (${ITERATIONS} iterations)`, async () => {
    const org = await organization('Rotate race');
    const second = await insertToken(org.id, 'second admin', TokenPermission.FULL_ACCESS);
    // Each instance acts with its own token, so the audit event tells which request it was.
    const actors = [
      { instance: a, token: org.first },
      { instance: b, token: second },
    ];
    const tally = { bothSucceeded: 0, oneRefused: 0, lastWasA: 0, lastWasB: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const target = await insertToken(org.id, `rotate target ${i}`, TokenPermission.READ_ONLY);
      const responses = await Promise.all(
        actors.map(({ instance, token }) =>
          client(instance, token.secret).request<{ rotateApiToken: { secret: string } }>(ROTATE, {
            id: target.id,
          }),
        ),
      );
      expectClean(responses);
      // Which transaction wrote the row last: the audit event written in that transaction.
      const last = await db().query<{ token_id: string }>(
        `SELECT e.token_id FROM audit_event e JOIN api_token t ON t.id = e.target_id
          WHERE e.target_id = $1 AND e.action = 'rotateApiToken' AND e.outcome = 'SUCCEEDED'
            AND e.xmin = t.xmin`,
        [target.id],
      );
      expect(last.rows).toHaveLength(1);
      const lastActor = actors.findIndex(({ token }) => token.id === last.rows[0].token_id);
      expect(lastActor).toBeGreaterThanOrEqual(0);
      const returned = responses.map((r) => r.data?.rotateApiToken.secret);
      for (const response of responses) {
        expect([[], ['BAD_USER_INPUT']]).toContainEqual(codes(response));
      }
      const winner = returned[lastActor];
      if (winner === undefined) {
        throw new Error(`iteration ${i}: the last rotation in commit order returned no secret`);
      }
      const losers = [
        target.secret,
        ...returned.filter((s): s is string => s !== undefined && s !== winner),
      ];
      const stored = await db().query<{
        secret_hash: string;
        previous_secret_hash: string | null;
      }>('SELECT secret_hash, previous_secret_hash FROM api_token WHERE id = $1', [target.id]);
      expect(stored.rows[0]).toEqual({
        secret_hash: hashSecret(winner),
        previous_secret_hash: null,
      });
      for (const instance of [a, b]) {
        const works = await client(instance, winner).request<{
          viewer: { token: { id: string } };
        }>(VIEWER);
        expect(works.data?.viewer.token.id).toBe(target.id);
        for (const loser of losers) {
          const refused = await client(instance, loser).request(VIEWER);
          expect({
            iteration: i,
            status: refused.status,
            reason: refused.errors?.[0]?.extensions?.reason,
          }).toEqual({
            iteration: i,
            status: 401,
            reason: 'UNKNOWN',
          });
        }
      }
      const succeeded = responses.filter((r) => r.errors === undefined).length;
      expect((await auditOutcomes(target.id)).filter((o) => o.endsWith('SUCCEEDED'))).toHaveLength(
        succeeded,
      );
      if (succeeded === 2) {
        tally.bothSucceeded++;
      } else {
        tally.oneRefused++;
      }
      if (lastActor === 0) {
        tally.lastWasA++;
      } else {
        tally.lastWasB++;
      }
    }
    expect(tally.bothSucceeded + tally.oneRefused).toBe(ITERATIONS);
    process.stdout.write(`rotate race: ${JSON.stringify(tally)}\n`);
  }, 30_000);

  type Change = 'downgrade' | 'deactivate' | 'revoke';
  const CHANGES: Record<
    Change,
    { query: string; variables: (id: string) => Record<string, unknown> }
  > = {
    downgrade: { query: UPDATE, variables: (id) => ({ id, input: { permission: 'READ_ONLY' } }) },
    deactivate: { query: DEACTIVATE, variables: (id) => ({ id }) },
    revoke: { query: REVOKE, variables: (id) => ({ id }) },
  };

  describe.each<[string, Change, Change]>([
    ['A downgrades token 1 while B downgrades token 2', 'downgrade', 'downgrade'],
    ['A deactivates token 1 while B deactivates token 2', 'deactivate', 'deactivate'],
    ['A revokes token 1 while B revokes token 2', 'revoke', 'revoke'],
    ['A revokes token 1 while B deactivates token 2', 'revoke', 'deactivate'],
  ])('the lock-out guard: %s', (_title, changeOnA, changeOnB) => {
    it(`leaves exactly one usable full-access token (${ITERATIONS} iterations)`, async () => {
      let ran = 0;
      const refusedOn = { a: 0, b: 0 };
      for (let i = 0; i < ITERATIONS; i++) {
        // An organization with exactly two usable FULL_ACCESS tokens (and a read-only one).
        const org = await organization(`Lock-out ${changeOnA}/${changeOnB} ${i}`);
        const token1 = org.first;
        const token2 = await insertToken(org.id, 'token 2', TokenPermission.FULL_ACCESS);
        await insertToken(org.id, 'reader', TokenPermission.READ_ONLY);
        expect((await usableFullAccess(org.id)).sort()).toEqual([token1.id, token2.id].sort());

        // Each token changes itself: both requests pass authentication whatever the other does.
        const responses = await Promise.all([
          client(a, token1.secret).request(
            CHANGES[changeOnA].query,
            CHANGES[changeOnA].variables(token1.id),
          ),
          client(b, token2.secret).request(
            CHANGES[changeOnB].query,
            CHANGES[changeOnB].variables(token2.id),
          ),
        ]);
        expectClean(responses);
        const outcome = responses.map((r) => codes(r));
        expect({ iteration: i, outcome: outcome.map((c) => c.join()).sort() }).toEqual({
          iteration: i,
          outcome: ['', 'BAD_USER_INPUT'],
        });
        const refusedIndex = outcome.findIndex((c) => c.length > 0);
        expect(responses[refusedIndex].errors?.[0]?.message).toMatch(LOCK_OUT_MESSAGE);
        // In the database: the refused one is still usable, and it is the only one.
        const survivor = refusedIndex === 0 ? token1.id : token2.id;
        refusedOn[refusedIndex === 0 ? 'a' : 'b']++;
        expect(await usableFullAccess(org.id)).toEqual([survivor]);
        const action = (change: Change) =>
          change === 'downgrade' ? 'updateApiToken' : `${change}ApiToken`;
        expect(await auditOutcomes(token1.id)).toEqual([
          `${action(changeOnA)} ${refusedIndex === 0 ? 'FAILED' : 'SUCCEEDED'}`,
        ]);
        expect(await auditOutcomes(token2.id)).toEqual([
          `${action(changeOnB)} ${refusedIndex === 1 ? 'FAILED' : 'SUCCEEDED'}`,
        ]);
        ran++;
      }
      expect(ran).toBe(ITERATIONS);
      process.stdout.write(
        `lock-out race ${changeOnA}/${changeOnB}: ${ran} iterations, refused on ${JSON.stringify(refusedOn)}\n`,
      );
    }, 30_000);
  });
});
