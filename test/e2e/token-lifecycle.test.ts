import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { ManualClock } from '../helpers/clock';
import { type GraphQLResponse, HttpClient } from '../helpers/http-client';
import { TestApp } from '../helpers/test-app';

type Permission = 'FULL_ACCESS' | 'READ_ONLY';
type Status = 'ACTIVE' | 'INACTIVE' | 'EXPIRED' | 'REVOKED';

interface ViewerView {
  permission: Permission;
  token: Pick<TokenView, 'id' | 'name' | 'permission' | 'prefix' | 'status'>;
}

interface TokenView {
  id: string;
  name: string;
  permission: Permission;
  prefix: string;
  status: Status;
  active: boolean;
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  lastUsedUserAgent: string | null;
  lastWriteAt: string | null;
  suggestedPermission: Permission;
}

interface Created {
  token: TokenView;
  secret: string;
}

interface AuditEventView {
  id: string;
  at: string;
  action: string;
  outcome: 'SUCCEEDED' | 'DENIED' | 'FAILED';
  targetType: string | null;
  targetId: string | null;
  token: { id: string; name: string; prefix: string } | null;
}

interface CreateInput {
  name: string;
  permission: Permission;
  expiresAt?: string | null;
}

const TOKEN = `id name permission prefix status active expiresAt createdAt revokedAt lastUsedAt
  lastUsedIp lastUsedUserAgent lastWriteAt suggestedPermission`;
const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret token { ${TOKEN} } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) {
  updateApiToken(id: $id, input: $input) { ${TOKEN} } }`;
const DEACTIVATE = `mutation($id: ID!) { deactivateApiToken(id: $id) { ${TOKEN} } }`;
const ACTIVATE = `mutation($id: ID!) { activateApiToken(id: $id) { ${TOKEN} } }`;
const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { ${TOKEN} } }`;
const ROTATE = `mutation($id: ID!, $grace: Int) {
  rotateApiToken(id: $id, gracePeriodMinutes: $grace) { secret token { ${TOKEN} } } }`;
const GET = `query($id: ID!) { apiToken(id: $id) { ${TOKEN} } }`;
const LIST = `query($filter: ApiTokenFilter) { apiTokens(filter: $filter, first: 1000) { nodes { ${TOKEN} } } }`;
// Not lastUsedIp / lastUsedUserAgent: a READ_ONLY token may not read them.
const VIEWER = '{ viewer { permission token { id name permission prefix status } } }';
const AUDIT = `query($filter: AuditEventFilter) {
  auditEvents(filter: $filter, first: 1000) {
    nodes { id at action outcome targetType targetId token { id name prefix } } } }`;

const SECRET_SHAPE = /^sgp_[0-9A-Za-z]{36}$/;
const DAY_MS = 24 * 60 * 60 * 1000;
const LOCK_OUT_MESSAGE = /last usable full-access token/;

/** The single error of a response, checked for its code. */
function expectError(response: GraphQLResponse, code: string): string {
  expect(response.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  return response.errors?.[0]?.message ?? '';
}

/** A 401 as API.md section 2 describes it, with its reason; returns the message. */
function expectUnauthenticated(response: GraphQLResponse, reason: string): string {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  expect(response.errors).toHaveLength(1);
  expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
  expect(response.data ?? null).toBeNull();
  return response.errors?.[0]?.message ?? '';
}

describe('the API token lifecycle over HTTP', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  /**
   * The app again, on a clock the test moves (authentication, the status and its filter, a
   * rotation's grace period read it), for a test about time: it moves the clock, never waits.
   */
  const restartOnManualClock = async (): Promise<ManualClock> => {
    await app.close();
    const clock = new ManualClock();
    app = await TestApp.start({ clock });
    return clock;
  };

  const create = async (input: CreateInput): Promise<Created> =>
    (await app.asFullAccess().data<{ createApiToken: Created }>(CREATE, { input })).createApiToken;

  const get = async (id: string): Promise<TokenView | null> =>
    (await app.asFullAccess().data<{ apiToken: TokenView | null }>(GET, { id })).apiToken;

  const list = async (filter: Record<string, unknown>): Promise<TokenView[]> =>
    (await app.asFullAccess().data<{ apiTokens: { nodes: TokenView[] } }>(LIST, { filter }))
      .apiTokens.nodes;

  const auditEvents = async (filter: Record<string, unknown>): Promise<AuditEventView[]> =>
    (await app.asFullAccess().data<{ auditEvents: { nodes: AuditEventView[] } }>(AUDIT, { filter }))
      .auditEvents.nodes;

  /** The permission the holder of `secret` has now, or the refusal. */
  const viewer = (secret: string) => app.client(secret).request<{ viewer: ViewerView }>(VIEWER);

  const expectWorks = async (secret: string, id: string): Promise<void> => {
    const response = await viewer(secret);
    expect(response.errors).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.data?.viewer.token.id).toBe(id);
  };

  const names = (tokens: TokenView[]) => tokens.map((t) => t.name).sort();

  describe('create', () => {
    it('has no default permission: omitting it is a GraphQL validation error and creates nothing', async () => {
      const before = await list({});
      const response = await app
        .asFullAccess()
        .request('mutation { createApiToken(input: { name: "no permission" }) { secret } }');
      expect(response.status).toBe(400);
      expectError(response, 'GRAPHQL_VALIDATION_FAILED');
      expect(response.errors?.[0]?.message).toMatch(/permission/);

      const viaVariables = await app
        .asFullAccess()
        .request(CREATE, { input: { name: 'no permission' } });
      expectError(viaVariables, 'BAD_USER_INPUT');
      expect(viaVariables.errors?.[0]?.message).toMatch(/permission/);

      expect(names(await list({}))).toEqual(names(before));
    });

    it('refuses an expiresAt in the past with BAD_USER_INPUT naming the field', async () => {
      const response = await app.asFullAccess().request(CREATE, {
        input: {
          name: 'past',
          permission: 'FULL_ACCESS',
          expiresAt: new Date(Date.now() - 1000).toISOString(),
        },
      });
      const message = expectError(response, 'BAD_USER_INPUT');
      expect(message).toMatch(/expiresAt/);
      expect(message).toMatch(/future/);
      expect(response.errors?.[0]?.extensions?.field).toBe('expiresAt');
      expect(names(await list({}))).not.toContain('past');
    });

    it.each([
      ['an empty', ''],
      ['a whitespace-only', '   \t '],
      ['a 101-character', `${'TooLongName'.repeat(9)}XY`],
    ])(
      'refuses %s name with BAD_USER_INPUT naming the field and the rule, without echoing it',
      async (_label, name) => {
        const before = await list({});
        const response = await app
          .asFullAccess()
          .request(CREATE, { input: { name, permission: 'READ_ONLY' } });
        const message = expectError(response, 'BAD_USER_INPUT');
        expect(message).toMatch(/\bname\b/);
        expect(message).toMatch(/1.100 characters/);
        expect(response.errors?.[0]?.extensions?.field).toBe('name');
        if (name.trim() !== '') {
          expect(response.text).not.toContain(name);
          expect(response.text).not.toContain('TooLongName');
        } else {
          expect(message).not.toContain('\t');
          expect(message).not.toMatch(/ {2}/);
        }
        expect((await list({})).length).toBe(before.length);
      },
    );

    it('accepts names of exactly 1 and 100 characters', async () => {
      const one = await create({ name: 'x', permission: 'READ_ONLY' });
      const hundred = await create({ name: 'y'.repeat(100), permission: 'READ_ONLY' });
      expect(one.token.name).toBe('x');
      expect(hundred.token.name).toBe('y'.repeat(100));
    });

    it('returns the secret once: 40 characters, sgp_ prefix, prefix = its first 12 characters', async () => {
      const expiresAt = new Date(Date.now() + DAY_MS).toISOString();
      const { token, secret } = await create({
        name: 'ci deploy',
        permission: 'READ_ONLY',
        expiresAt,
      });
      expect(secret).toHaveLength(40);
      expect(secret).toMatch(SECRET_SHAPE);
      expect(token.prefix).toBe(secret.slice(0, 12));
      expect(token).toMatchObject({
        name: 'ci deploy',
        permission: 'READ_ONLY',
        status: 'ACTIVE',
        active: true,
        expiresAt,
        revokedAt: null,
        lastUsedAt: null,
        lastWriteAt: null,
      });

      const again = await app.asFullAccess().request(GET, { id: token.id });
      expect(again.data?.apiToken).toMatchObject({ id: token.id, prefix: secret.slice(0, 12) });
      expect(again.text).not.toContain(secret);
      // Two creations never hand out the same secret.
      const other = await create({ name: 'ci deploy', permission: 'READ_ONLY' });
      expect(other.secret).not.toBe(secret);
      expect(other.token.id).not.toBe(token.id);
    });
  });

  describe('use', () => {
    it('authenticates with the new secret and shows its last use with the client’s user agent', async () => {
      const { token, secret } = await create({ name: 'bi tool', permission: 'READ_ONLY' });
      const before = Date.now();
      const client = new HttpClient(app.client().endpoint, secret, 'ReportingTool/4.2 (tests)');
      const response = await client.request<{
        viewer: { permission: Permission; token: { id: string } };
      }>('{ viewer { permission token { id } } }');
      expect(response.errors).toBeUndefined();
      expect(response.data?.viewer).toEqual({ permission: 'READ_ONLY', token: { id: token.id } });

      const seen = await get(token.id);
      expect(seen?.lastUsedAt).not.toBeNull();
      expect(Date.parse(seen?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(before - 5);
      expect(Date.parse(seen?.lastUsedAt ?? '')).toBeLessThanOrEqual(Date.now());
      expect(seen?.lastUsedIp).toMatch(/127\.0\.0\.1/);
      expect(seen?.lastUsedUserAgent).toBe('ReportingTool/4.2 (tests)');
    });
  });

  describe('deactivate and activate', () => {
    it('refuses the token with 401 INACTIVE on its next request, and lets it in again once activated', async () => {
      const { token, secret } = await create({ name: 'script', permission: 'FULL_ACCESS' });
      await expectWorks(secret, token.id);

      const deactivated = await app
        .asFullAccess()
        .data<{ deactivateApiToken: TokenView }>(DEACTIVATE, { id: token.id });
      expect(deactivated.deactivateApiToken).toMatchObject({ active: false, status: 'INACTIVE' });
      const message = expectUnauthenticated(await viewer(secret), 'INACTIVE');
      expect(message).toMatch(/activate/);
      expect((await get(token.id))?.status).toBe('INACTIVE');

      const activated = await app
        .asFullAccess()
        .data<{ activateApiToken: TokenView }>(ACTIVATE, { id: token.id });
      expect(activated.activateApiToken).toMatchObject({ active: true, status: 'ACTIVE' });
      await expectWorks(secret, token.id);
    });
  });

  describe('update', () => {
    it('changes the permission in place: the very next mutation is FORBIDDEN, then allowed again', async () => {
      const { token, secret } = await create({ name: 'automation', permission: 'FULL_ACCESS' });
      const own = app.client(secret);
      const rename = (name: string) => own.request(UPDATE, { id: token.id, input: { name } });
      expect((await rename('automation 1')).errors).toBeUndefined();

      const downgraded = await app.asFullAccess().data<{ updateApiToken: TokenView }>(UPDATE, {
        id: token.id,
        input: { permission: 'READ_ONLY' },
      });
      expect(downgraded.updateApiToken.permission).toBe('READ_ONLY');

      const denied = await rename('automation 2');
      const message = expectError(denied, 'FORBIDDEN');
      expect(denied.errors?.[0]?.extensions?.requiredPermission).toBe('FULL_ACCESS');
      expect(message).toBe(
        'This operation requires a full-access API token; this token is read-only.',
      );
      expect((await get(token.id))?.name).toBe('automation 1');
      expect((await viewer(secret)).data?.viewer.permission).toBe('READ_ONLY');

      await app.asFullAccess().data(UPDATE, { id: token.id, input: { permission: 'FULL_ACCESS' } });
      const allowed = await rename('automation 3');
      expect(allowed.errors).toBeUndefined();
      expect((await get(token.id))?.name).toBe('automation 3');
    });

    it('renames, sets and clears (expiresAt: null) the expiry; omitted fields stay as they are', async () => {
      const expiresAt = new Date(Date.now() + DAY_MS).toISOString();
      const { token, secret } = await create({
        name: 'old name',
        permission: 'READ_ONLY',
        expiresAt,
      });

      const renamed = await app.asFullAccess().data<{ updateApiToken: TokenView }>(UPDATE, {
        id: token.id,
        input: { name: 'new name' },
      });
      expect(renamed.updateApiToken).toMatchObject({
        name: 'new name',
        expiresAt,
        permission: 'READ_ONLY',
      });

      const later = new Date(Date.now() + 7 * DAY_MS).toISOString();
      const extended = await app.asFullAccess().data<{ updateApiToken: TokenView }>(UPDATE, {
        id: token.id,
        input: { expiresAt: later },
      });
      expect(extended.updateApiToken).toMatchObject({ name: 'new name', expiresAt: later });

      const cleared = await app.asFullAccess().data<{ updateApiToken: TokenView }>(UPDATE, {
        id: token.id,
        input: { expiresAt: null },
      });
      expect(cleared.updateApiToken.expiresAt).toBeNull();
      expect((await get(token.id))?.expiresAt).toBeNull();
      await expectWorks(secret, token.id);
    });

    it('refuses an empty name or a past expiresAt with BAD_USER_INPUT and changes nothing', async () => {
      const { token } = await create({ name: 'keep me', permission: 'READ_ONLY' });
      const badName = await app
        .asFullAccess()
        .request(UPDATE, { id: token.id, input: { name: ' ' } });
      expect(expectError(badName, 'BAD_USER_INPUT')).toMatch(/name must be 1.100 characters/);
      const badExpiry = await app.asFullAccess().request(UPDATE, {
        id: token.id,
        input: { expiresAt: new Date(Date.now() - 60_000).toISOString() },
      });
      expect(expectError(badExpiry, 'BAD_USER_INPUT')).toMatch(/expiresAt/);
      expect(await get(token.id)).toMatchObject({ name: 'keep me', expiresAt: null });
    });
  });

  describe('rotate', () => {
    it('keeps the id, issues a new secret and kills the old one at once (401 UNKNOWN)', async () => {
      const { token, secret: oldSecret } = await create({
        name: 'rotating',
        permission: 'READ_ONLY',
        expiresAt: new Date(Date.now() + DAY_MS).toISOString(),
      });
      await expectWorks(oldSecret, token.id);

      const { rotateApiToken } = await app
        .asFullAccess()
        .data<{ rotateApiToken: Created }>(ROTATE, { id: token.id });
      expect(rotateApiToken.token.id).toBe(token.id);
      expect(rotateApiToken.secret).toMatch(SECRET_SHAPE);
      expect(rotateApiToken.secret).not.toBe(oldSecret);
      expect(rotateApiToken.token.prefix).toBe(rotateApiToken.secret.slice(0, 12));
      expect(rotateApiToken.token).toMatchObject({
        name: token.name,
        permission: token.permission,
        expiresAt: token.expiresAt,
        createdAt: token.createdAt,
        status: 'ACTIVE',
      });

      expectUnauthenticated(await viewer(oldSecret), 'UNKNOWN');
      await expectWorks(rotateApiToken.secret, token.id);
    });

    it('with gracePeriodMinutes: 60 keeps the old secret working until the grace ends', async () => {
      const clock = await restartOnManualClock();
      const { token, secret: oldSecret } = await create({
        name: 'graceful',
        permission: 'FULL_ACCESS',
      });
      const { rotateApiToken } = await app
        .asFullAccess()
        .data<{ rotateApiToken: Created }>(ROTATE, { id: token.id, grace: 60 });
      await expectWorks(oldSecret, token.id);
      await expectWorks(rotateApiToken.secret, token.id);

      // The clock stood still since the rotation: the grace ends 60 minutes from now exactly.
      clock.advance(60 * 60_000 - 1);
      await expectWorks(oldSecret, token.id);
      clock.advance(1);
      expectUnauthenticated(await viewer(oldSecret), 'UNKNOWN');
      await expectWorks(rotateApiToken.secret, token.id);
    });

    it.each([1441, -1])(
      'refuses gracePeriodMinutes %p with BAD_USER_INPUT and keeps the old secret',
      async (grace) => {
        const { token, secret } = await create({ name: 'no rotation', permission: 'READ_ONLY' });
        const response = await app.asFullAccess().request(ROTATE, { id: token.id, grace });
        const message = expectError(response, 'BAD_USER_INPUT');
        expect(message).toMatch(/gracePeriodMinutes/);
        expect(message).toMatch(/0.*1440/);
        expect(response.text).not.toMatch(/sgp_[0-9A-Za-z]{36}/);
        await expectWorks(secret, token.id);
        expect((await get(token.id))?.prefix).toBe(token.prefix);
      },
    );
  });

  describe('revoke', () => {
    it('refuses the token with 401 REVOKED afterwards, for good', async () => {
      const { token, secret } = await create({ name: 'leaked', permission: 'FULL_ACCESS' });
      await expectWorks(secret, token.id);
      const { revokeApiToken } = await app
        .asFullAccess()
        .data<{ revokeApiToken: TokenView }>(REVOKE, { id: token.id });
      expect(revokeApiToken.status).toBe('REVOKED');
      expect(revokeApiToken.revokedAt).not.toBeNull();

      const message = expectUnauthenticated(await viewer(secret), 'REVOKED');
      expect(message).toMatch(/revoked/);

      const attempts: [string, string, Record<string, unknown>][] = [
        ['activateApiToken', ACTIVATE, { id: token.id }],
        ['updateApiToken', UPDATE, { id: token.id, input: { name: 'back' } }],
        ['updateApiToken', UPDATE, { id: token.id, input: { expiresAt: null } }],
        ['rotateApiToken', ROTATE, { id: token.id }],
        ['revokeApiToken', REVOKE, { id: token.id }],
      ];
      for (const [field, query, variables] of attempts) {
        const response = await app.asFullAccess().request(query, variables);
        expect({ field, code: response.errors?.[0]?.extensions?.code }).toEqual({
          field,
          code: 'BAD_USER_INPUT',
        });
        expect(response.errors?.[0]?.message).toMatch(/revoked/);
        expect(response.text).not.toMatch(/sgp_[0-9A-Za-z]{36}/);
      }

      expect(await get(token.id)).toMatchObject({
        status: 'REVOKED',
        name: 'leaked',
        revokedAt: revokeApiToken.revokedAt,
      });
      expectUnauthenticated(await viewer(secret), 'REVOKED');
    });

    it('also ends the grace period of a rotated secret at once', async () => {
      const { token, secret: oldSecret } = await create({
        name: 'rotated',
        permission: 'READ_ONLY',
      });
      const { rotateApiToken } = await app
        .asFullAccess()
        .data<{ rotateApiToken: Created }>(ROTATE, { id: token.id, grace: 60 });
      await expectWorks(oldSecret, token.id);
      await app.asFullAccess().data(REVOKE, { id: token.id });
      // The secret of the grace period reports the revocation too.
      const old = await viewer(oldSecret);
      expect(old.data ?? null).toBeNull();
      expectUnauthenticated(old, 'REVOKED');
      expectUnauthenticated(await viewer(rotateApiToken.secret), 'REVOKED');
    });
  });

  describe('expiry', () => {
    it('works until expiresAt, then 401 EXPIRED naming the expiry time; status EXPIRED', async () => {
      const clock = await restartOnManualClock();
      const expires = new Date(clock.now().getTime() + 1500);
      const { token, secret } = await create({
        name: 'short-lived',
        permission: 'READ_ONLY',
        expiresAt: expires.toISOString(),
      });
      const expiresAt = token.expiresAt ?? '';
      expect(expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await expectWorks(secret, token.id);
      expect((await get(token.id))?.status).toBe('ACTIVE');

      // 1 ms before its expiry it still works; at expiresAt itself it has expired.
      clock.set(new Date(expires.getTime() - 1));
      await expectWorks(secret, token.id);
      expect((await get(token.id))?.status).toBe('ACTIVE');
      expect(names(await list({ status: 'EXPIRED' }))).not.toContain('short-lived');
      clock.set(expires);
      const message = expectUnauthenticated(await viewer(secret), 'EXPIRED');
      expect(message).toContain(expires.toISOString());
      expect((await get(token.id))?.status).toBe('EXPIRED');
      expect(names(await list({ status: 'EXPIRED' }))).toContain('short-lived');
    });

    it('reports REVOKED before EXPIRED before INACTIVE, in 401s and in status', async () => {
      const past = new Date(Date.now() - 60_000);
      const all = await app.createToken('all three', TokenPermission.FULL_ACCESS, {
        revokedAt: past,
        expiresAt: past,
        active: false,
      });
      const expiredInactive = await app.createToken('expired inactive', TokenPermission.READ_ONLY, {
        expiresAt: past,
        active: false,
      });
      const revokedActive = await app.createToken('revoked active', TokenPermission.READ_ONLY, {
        revokedAt: past,
      });

      expectUnauthenticated(await viewer(all.secret), 'REVOKED');
      expect(expectUnauthenticated(await viewer(expiredInactive.secret), 'EXPIRED')).toContain(
        past.toISOString(),
      );
      expectUnauthenticated(await viewer(revokedActive.secret), 'REVOKED');
      expect((await get(all.token.id))?.status).toBe('REVOKED');
      expect((await get(expiredInactive.token.id))?.status).toBe('EXPIRED');
      expect((await get(revokedActive.token.id))?.status).toBe('REVOKED');

      // The status filter follows the same order.
      expect(names(await list({ status: 'REVOKED' }))).toEqual(
        ['all three', 'revoked', 'revoked active'].sort(),
      );
      expect(names(await list({ status: 'EXPIRED' }))).toEqual(['expired', 'expired inactive']);
      expect(names(await list({ status: 'INACTIVE' }))).toEqual(['inactive']);
    });
  });

  describe('lock-out guard', () => {
    it('refuses to deactivate, revoke or downgrade the last usable FULL_ACCESS token', async () => {
      const full = app.identities.full;
      // The expired, inactive and revoked identities are FULL_ACCESS too, but cannot be used.
      const fullAccess = await list({ permission: 'FULL_ACCESS' });
      expect(fullAccess).toHaveLength(4);
      expect(fullAccess.filter((t) => t.status === 'ACTIVE').map((t) => t.id)).toEqual([
        full.token.id,
      ]);

      const attempts: [string, Record<string, unknown>][] = [
        [DEACTIVATE, { id: full.token.id }],
        [REVOKE, { id: full.token.id }],
        [UPDATE, { id: full.token.id, input: { permission: 'READ_ONLY' } }],
      ];
      for (const [query, variables] of attempts) {
        const response = await app.asFullAccess().request(query, variables);
        const message = expectError(response, 'BAD_USER_INPUT');
        expect(message).toMatch(LOCK_OUT_MESSAGE);
        expect(message).toMatch(/create another full-access token/);
      }

      expect(await get(full.token.id)).toMatchObject({
        status: 'ACTIVE',
        permission: 'FULL_ACCESS',
        revokedAt: null,
      });
      const stillAllowed = await app
        .asFullAccess()
        .request(UPDATE, { id: full.token.id, input: { name: 'still in charge' } });
      expect(stillAllowed.errors).toBeUndefined();
    });

    it('lets the first be downgraded once a second FULL_ACCESS token exists, then guards the second', async () => {
      const full = app.identities.full;
      const second = await create({ name: 'second admin', permission: 'FULL_ACCESS' });

      const downgraded = await app.asFullAccess().request<{ updateApiToken: TokenView }>(UPDATE, {
        id: full.token.id,
        input: { permission: 'READ_ONLY' },
      });
      expect(downgraded.errors).toBeUndefined();
      expect(downgraded.data?.updateApiToken.permission).toBe('READ_ONLY');
      expectError(
        await app.asFullAccess().request(DEACTIVATE, { id: second.token.id }),
        'FORBIDDEN',
      );

      const asSecond = app.client(second.secret);
      for (const query of [DEACTIVATE, REVOKE]) {
        const response = await asSecond.request(query, { id: second.token.id });
        expect(expectError(response, 'BAD_USER_INPUT')).toMatch(LOCK_OUT_MESSAGE);
      }
      await expectWorks(second.secret, second.token.id);
    });

    it('does not let two concurrent deactivations lock the organization out', async () => {
      const second = await create({ name: 'second admin', permission: 'FULL_ACCESS' });
      const results = await Promise.all([
        app.asFullAccess().request(DEACTIVATE, { id: app.identities.full.token.id }),
        app.asFullAccess().request(DEACTIVATE, { id: second.token.id }),
      ]);
      const succeeded = results.filter((r) => r.errors === undefined);
      expect(succeeded).toHaveLength(1);
      const usable = await app.services.db.reader.findBy(ApiToken, {
        organizationId: app.organization.id,
        permission: TokenPermission.FULL_ACCESS,
        active: true,
      });
      expect(
        usable.filter((t) => t.revokedAt === null && t.expiresAt === null).map((t) => t.id),
      ).toHaveLength(1);
    });
  });

  describe('audit', () => {
    it('records one SUCCEEDED event per step, with the acting token’s prefix and the target', async () => {
      const full = app.identities.full;
      const { token } = await create({ name: 'audited', permission: 'FULL_ACCESS' });
      await app.asFullAccess().data(UPDATE, { id: token.id, input: { name: 'audited 2' } });
      await app.asFullAccess().data(DEACTIVATE, { id: token.id });
      await app.asFullAccess().data(ACTIVATE, { id: token.id });
      await app.asFullAccess().data(ROTATE, { id: token.id, grace: 5 });
      await app.asFullAccess().data(REVOKE, { id: token.id });

      const events = await auditEvents({ targetId: token.id });
      expect(events.map((e) => e.action).sort()).toEqual(
        [
          'createApiToken',
          'updateApiToken',
          'deactivateApiToken',
          'activateApiToken',
          'rotateApiToken',
          'revokeApiToken',
        ].sort(),
      );
      for (const event of events) {
        expect(event).toMatchObject({
          outcome: 'SUCCEEDED',
          targetType: 'ApiToken',
          targetId: token.id,
          token: { id: full.token.id, name: full.token.name, prefix: full.token.prefix },
        });
        expect(event.token?.prefix).toHaveLength(12);
      }
      // Newest first.
      const times = events.map((e) => Date.parse(e.at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const at = (index: number) => events.filter((e) => e.at === events[index].at);
      expect(at(0).map((e) => e.action)).toContain('revokeApiToken');
      expect(at(events.length - 1).map((e) => e.action)).toContain('createApiToken');
    });

    it('writes exactly one event per root field, with aliases and fragments', async () => {
      const { token } = await create({ name: 'aliased', permission: 'READ_ONLY' });
      const response = await app.asFullAccess().request(
        `mutation($id: ID!) {
          a: deactivateApiToken(id: $id) { ...F }
          b: activateApiToken(id: $id) { ...F }
        }
        fragment F on ApiToken { id }`,
        { id: token.id },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ a: { id: token.id }, b: { id: token.id } });

      const viaRootFragment = await app.asFullAccess().request(
        `mutation($id: ID!) {
          ...Root
          c: updateApiToken(id: $id, input: { name: "renamed" }) { id }
        }
        fragment Root on Mutation {
          x: deactivateApiToken(id: $id) { id }
          y: deactivateApiToken(id: $id) { id }
        }`,
        { id: token.id },
      );
      expect(viaRootFragment.errors).toBeUndefined();

      const events = await auditEvents({ targetId: token.id });
      const count = (action: string) => events.filter((e) => e.action === action).length;
      expect(count('deactivateApiToken')).toBe(3);
      expect(count('activateApiToken')).toBe(1);
      expect(count('updateApiToken')).toBe(1);
      expect(count('createApiToken')).toBe(1);
      expect(events).toHaveLength(6);
      expect(events.every((e) => e.outcome === 'SUCCEEDED')).toBe(true);
    });

    it('records FAILED for a mutation that failed with NOT_FOUND or BAD_USER_INPUT', async () => {
      const full = app.identities.full;
      const missing = 'no-such-token-id';
      expectError(await app.asFullAccess().request(DEACTIVATE, { id: missing }), 'NOT_FOUND');
      const { token } = await create({ name: 'target', permission: 'READ_ONLY' });
      expectError(
        await app.asFullAccess().request(ROTATE, { id: token.id, grace: 1441 }),
        'BAD_USER_INPUT',
      );
      expectError(
        await app.asFullAccess().request(CREATE, { input: { name: '', permission: 'READ_ONLY' } }),
        'BAD_USER_INPUT',
      );

      const failed = await auditEvents({ outcome: 'FAILED' });
      const acting = { id: full.token.id, name: full.token.name, prefix: full.token.prefix };
      expect(failed).toHaveLength(3);
      expect(failed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'deactivateApiToken',
            targetType: 'ApiToken',
            targetId: missing,
            token: acting,
          }),
          expect.objectContaining({
            action: 'rotateApiToken',
            targetType: 'ApiToken',
            targetId: token.id,
            token: acting,
          }),
          expect.objectContaining({ action: 'createApiToken', outcome: 'FAILED', token: acting }),
        ]),
      );
      // A failure moves nothing: the only success is the creation of the target.
      expect((await auditEvents({ targetId: token.id })).map((e) => e.outcome).sort()).toEqual([
        'FAILED',
        'SUCCEEDED',
      ]);
    });

    it('records DENIED for a READ_ONLY attempt, and changes nothing', async () => {
      const readOnly = app.identities.readOnly;
      const { token } = await create({ name: 'victim', permission: 'FULL_ACCESS' });
      const response = await app.asReadOnly().request(REVOKE, { id: token.id });
      expectError(response, 'FORBIDDEN');
      expect(response.errors?.[0]?.extensions?.requiredPermission).toBe('FULL_ACCESS');

      const denied = await auditEvents({ outcome: 'DENIED' });
      expect(denied).toHaveLength(1);
      expect(denied[0]).toMatchObject({
        action: 'revokeApiToken',
        targetType: 'ApiToken',
        targetId: token.id,
        token: { id: readOnly.token.id, prefix: readOnly.token.prefix },
      });
      expect((await get(token.id))?.status).toBe('ACTIVE');
      expect((await get(readOnly.token.id))?.lastWriteAt).toBeNull();
    });
  });

  describe('suggestedPermission and filters', () => {
    it('suggests READ_ONLY for a FULL_ACCESS token idle for writes over 30 days, until it writes', async () => {
      const now = Date.now();
      const neverWrote = await app.createToken('never wrote', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(now - 31 * DAY_MS),
      });
      await app.createToken('wrote long ago', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(now - 90 * DAY_MS),
        lastWriteAt: new Date(now - 31 * DAY_MS),
      });
      await app.createToken('wrote recently', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(now - 90 * DAY_MS),
        lastWriteAt: new Date(now - 2 * DAY_MS),
      });
      await app.createToken('old reader', TokenPermission.READ_ONLY, {
        createdAt: new Date(now - 90 * DAY_MS),
      });
      await app.createToken('young', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(now - 29 * DAY_MS),
      });

      const byName = new Map((await list({})).map((t) => [t.name, t.suggestedPermission]));
      expect(Object.fromEntries(byName)).toMatchObject({
        'never wrote': 'READ_ONLY',
        'wrote long ago': 'READ_ONLY',
        'wrote recently': 'FULL_ACCESS',
        'old reader': 'READ_ONLY',
        young: 'FULL_ACCESS',
        [app.identities.full.token.name]: 'FULL_ACCESS',
      });
      expect(names(await list({ suggestedReadOnly: true }))).toEqual([
        'never wrote',
        'wrote long ago',
      ]);
      expect(names(await list({ suggestedReadOnly: false }))).not.toContain('never wrote');

      // A failed mutation is not a write.
      expectError(
        await app.client(neverWrote.secret).request(DEACTIVATE, { id: 'no-such-token-id' }),
        'NOT_FOUND',
      );
      expect((await get(neverWrote.token.id))?.suggestedPermission).toBe('READ_ONLY');

      const before = Date.now();
      const wrote = await app.client(neverWrote.secret).request(UPDATE, {
        id: neverWrote.token.id,
        input: { name: 'never wrote, until now' },
      });
      expect(wrote.errors).toBeUndefined();
      const after = await get(neverWrote.token.id);
      expect(after?.suggestedPermission).toBe('FULL_ACCESS');
      expect(Date.parse(after?.lastWriteAt ?? '')).toBeGreaterThanOrEqual(before - 5);
      expect(names(await list({ suggestedReadOnly: true }))).toEqual(['wrote long ago']);
      expect(names(await list({ suggestedReadOnly: false }))).toContain('never wrote, until now');
    });

    it('filters apiTokens by status, permission and expiresBefore', async () => {
      const now = Date.now();
      await app.createToken('tomorrow', TokenPermission.READ_ONLY, {
        expiresAt: new Date(now + DAY_MS),
      });
      await app.createToken('next week', TokenPermission.FULL_ACCESS, {
        expiresAt: new Date(now + 7 * DAY_MS),
      });
      await app.createToken('forever', TokenPermission.READ_ONLY);

      expect(names(await list({ status: 'ACTIVE' }))).toEqual(
        ['forever', app.identities.full.token.name, 'next week', 'read-only', 'tomorrow'].sort(),
      );
      expect(names(await list({ status: 'INACTIVE' }))).toEqual(['inactive']);
      expect(names(await list({ status: 'EXPIRED' }))).toEqual(['expired']);
      expect(names(await list({ status: 'REVOKED' }))).toEqual(['revoked']);
      expect(names(await list({ permission: 'READ_ONLY' }))).toEqual(
        ['forever', 'read-only', 'tomorrow'].sort(),
      );
      expect(names(await list({ permission: 'FULL_ACCESS' }))).toEqual(
        ['expired', app.identities.full.token.name, 'inactive', 'next week', 'revoked'].sort(),
      );
      const inThreeDays = new Date(now + 3 * DAY_MS).toISOString();
      expect(names(await list({ expiresBefore: inThreeDays }))).toEqual(['expired', 'tomorrow']);
      expect(names(await list({ expiresBefore: inThreeDays, status: 'ACTIVE' }))).toEqual([
        'tomorrow',
      ]);
      expect(
        names(
          await list({
            expiresBefore: new Date(now + 30 * DAY_MS).toISOString(),
            permission: 'FULL_ACCESS',
            status: 'ACTIVE',
          }),
        ),
      ).toEqual(['next week']);
    });
  });
});
