import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { everyStatementOf } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * Authentication's look-up writes its SQL once and hydrates rows itself (secret-lookup.ts): the
 * token it returns is the very entity TypeORM loads, every column's type included (dates,
 * booleans, nulls), on SQLite and on PostgreSQL.
 */
describe('the secret look-up', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  const loaded = (id: string) =>
    app.services.db.reader.findOne(ApiToken, { where: { id }, relations: { organization: true } });

  it('returns the token and organization as TypeORM loads them', async () => {
    const { token: created, secret } = await app.createToken('typed', TokenPermission.READ_ONLY, {
      expiresAt: new Date('2030-01-02T03:04:05.678Z'),
      active: false,
      lastWriteAt: new Date('2026-01-02T03:04:05.006Z'),
    });
    const { token } = await app.services.tokens.findBySecret(secret);
    expect(token).toBeInstanceOf(ApiToken);
    expect(token).toEqual(await loaded(created.id));
    expect(token?.expiresAt).toEqual(new Date('2030-01-02T03:04:05.678Z'));
    expect(token?.active).toBe(false);
    expect(token?.revokedAt).toBeNull();
    expect(token?.organization?.name).toBe('Acme');
  });

  it('reads a board-scoped token’s boards in the same statement; an organization-wide one has none', async () => {
    const board = (name: string) =>
      app
        .data<{ createBoard: { id: string } }>(
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name },
        )
        .then((data) => data.createBoard.id);
    const boardIds = [await board('One'), await board('Two')];
    const { createApiToken } = await app.data<{ createApiToken: { secret: string } }>(
      `mutation($boardIds: [ID!]) {
        createApiToken(input: { name: "Scoped", permission: READ_ONLY, boardIds: $boardIds }) { secret }
      }`,
      { boardIds },
    );
    const scoped = await app.services.tokens.findBySecret(createApiToken.secret);
    expect(scoped.token?.boardScoped).toBe(true);
    expect([...(scoped.token?.scopeBoardIds ?? [])].sort()).toEqual([...boardIds].sort());
    const wide = await app.services.tokens.findBySecret(app.identities.readOnly.secret);
    expect(wide.token?.scopeBoardIds).toBeUndefined();
  });

  it('finds a revoked token as it is, and nothing for an unknown secret', async () => {
    const { token } = await app.services.tokens.findBySecret(app.identities.revoked.secret);
    expect(token).toEqual(await loaded(app.identities.revoked.token.id));
    expect(token?.revokedAt).toBeInstanceOf(Date);
    const unknown = await app.services.tokens.findBySecret(`${app.identities.full.secret}x`);
    expect(unknown.token).toBeNull();
  });

  it('on SQLite, shares its statements among look-ups that arrive together; each gets its own token', async () => {
    const identities = [app.identities.full, app.identities.readOnly, app.identities.inactive];
    const asked = [...identities, ...identities];
    let found: Awaited<ReturnType<typeof app.services.tokens.findBySecret>>[] = [];
    const statements = await everyStatementOf(app.services.db, async () => {
      found = await Promise.all(asked.map((i) => app.services.tokens.findBySecret(i.secret)));
    });
    expect(found.map((f) => f.token?.id)).toEqual(asked.map((i) => i.token.id));
    // The same token asked twice comes back as two entities: requests never share one.
    expect(found[0].token).not.toBe(found[3].token);
    expect(found[0].token).toEqual(found[3].token);
    const lookups = statements.filter((sql) => /FROM "api_token" "t"/.test(sql));
    // SQLite: the first alone, the five that came meanwhile in one statement. PostgreSQL runs
    // them side by side on its pool, one statement each.
    expect(lookups).toHaveLength(app.services.db.isSqlite ? 2 : asked.length);
  });
});
