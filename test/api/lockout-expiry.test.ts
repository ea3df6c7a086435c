import { TokenPermission } from '../../src/tokens/token-permission';
import { TestApp } from '../helpers/test-app';

const HOUR_MS = 60 * 60 * 1000;
const LOCK_OUT_MESSAGE = /last usable full-access token/;

const TOKEN = 'id status permission active expiresAt revokedAt';
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) {
  updateApiToken(id: $id, input: $input) { ${TOKEN} } }`;
const DEACTIVATE = `mutation($id: ID!) { deactivateApiToken(id: $id) { ${TOKEN} } }`;
const GET = `query($id: ID!) { apiToken(id: $id) { ${TOKEN} } }`;

const inHours = (hours: number) => new Date(Date.now() + hours * HOUR_MS).toISOString();

// API.md section 4: the last usable FULL_ACCESS token (active, not revoked, not expiring within
// 24 hours) cannot be given an expiration less than 24 hours away, nor be switched off while the
// only other full-access tokens expire within 24 hours.
describe('the lock-out guard and expiry', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  const codes = (response: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    response.errors?.map((e) => e.extensions?.code);

  it('refuses to give the last usable FULL_ACCESS token an expiry less than 24 hours away', async () => {
    const full = app.identities.full;
    for (const expiresAt of [inHours(0.001), inHours(1), inHours(23.9)]) {
      const response = await app.execute(full.secret, UPDATE, {
        id: full.token.id,
        input: { expiresAt },
      });
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toMatch(LOCK_OUT_MESSAGE);
      expect(response.errors?.[0]?.message).toMatch(/24 hours/);
    }
    const after = await app.execute<{ apiToken: { expiresAt: string | null; status: string } }>(
      full.secret,
      GET,
      { id: full.token.id },
    );
    expect(after.data?.apiToken).toMatchObject({ expiresAt: null, status: 'ACTIVE' });
  });

  it('accepts an expiry more than 24 hours away for the last token, and any expiry once another exists', async () => {
    const full = app.identities.full;
    const later = inHours(25);
    const extended = await app.execute<{ updateApiToken: { expiresAt: string } }>(
      full.secret,
      UPDATE,
      { id: full.token.id, input: { expiresAt: later } },
    );
    expect(extended.errors).toBeUndefined();
    expect(extended.data?.updateApiToken.expiresAt).toBe(later);

    await app.createToken('second admin', TokenPermission.FULL_ACCESS);
    const soon = inHours(1);
    const shortened = await app.execute<{ updateApiToken: { expiresAt: string } }>(
      full.secret,
      UPDATE,
      { id: full.token.id, input: { expiresAt: soon } },
    );
    expect(shortened.errors).toBeUndefined();
    expect(shortened.data?.updateApiToken.expiresAt).toBe(soon);
  });

  it('does not count a full-access token that expires within 24 hours as another usable one', async () => {
    const full = app.identities.full;
    await app.createToken('expires tonight', TokenPermission.FULL_ACCESS, {
      expiresAt: new Date(Date.now() + 2 * HOUR_MS),
    });
    const attempts: [string, Record<string, unknown>][] = [
      [DEACTIVATE, { id: full.token.id }],
      [UPDATE, { id: full.token.id, input: { permission: 'READ_ONLY' } }],
      [UPDATE, { id: full.token.id, input: { expiresAt: inHours(3) } }],
    ];
    for (const [query, variables] of attempts) {
      const response = await app.execute(full.secret, query, variables);
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toMatch(LOCK_OUT_MESSAGE);
    }
    const after = await app.execute<{ apiToken: Record<string, unknown> }>(full.secret, GET, {
      id: full.token.id,
    });
    expect(after.data?.apiToken).toMatchObject({
      status: 'ACTIVE',
      permission: 'FULL_ACCESS',
      expiresAt: null,
    });
  });

  it('lets two concurrent expiry changes of the last two full-access tokens leave one usable', async () => {
    const full = app.identities.full;
    const second = await app.createToken('second admin', TokenPermission.FULL_ACCESS);
    const soon = inHours(2);
    const results = await Promise.all([
      app.execute(full.secret, UPDATE, { id: full.token.id, input: { expiresAt: soon } }),
      app.execute(full.secret, UPDATE, { id: second.token.id, input: { expiresAt: soon } }),
    ]);
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect(results.flatMap((r) => codes(r) ?? [])).toEqual(['BAD_USER_INPUT']);
  });
});
