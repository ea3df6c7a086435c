import { AuditEvent } from '../../src/audit/audit-event.entity';
import { cli, oneJsonObject } from '../helpers/cli';
import { TestApp } from '../helpers/test-app';

describe('the statusgraph command line', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  it('creates an organization whose printed secret works against the running server', async () => {
    const run = await cli(app, 'org', 'create', '--name', 'Ops team', '--json');
    expect(run.code).toBe(0);
    const out = oneJsonObject(run) as {
      organization: { id: string; name: string };
      token: { permission: string; prefix: string; status: string };
      secret: string;
    };
    expect(out.organization.name).toBe('Ops team');
    expect(out.token.permission).toBe('FULL_ACCESS');
    expect(out.secret).toMatch(/^sgp_[0-9A-Za-z]{36}$/);
    expect(out.token.prefix).toBe(out.secret.slice(0, 12));

    const data = await app
      .client(out.secret)
      .data<{ viewer: { organization: { name: string } } }>('{ viewer { organization { name } } }');
    expect(data.viewer.organization.name).toBe('Ops team');
  });

  it('creates, lists and revokes tokens while the server runs, audited with no token', async () => {
    const org = app.organization.id;
    const created = await cli(
      app,
      'token',
      'create',
      '--org',
      org,
      '--name',
      'Wallboard',
      '--permission',
      'read-only',
      '--json',
    );
    expect(created.code).toBe(0);
    const { token, secret } = oneJsonObject(created) as {
      token: { id: string; permission: string };
      secret: string;
    };
    expect(token.permission).toBe('READ_ONLY');

    const client = app.client(secret);
    expect(
      (await client.data<{ viewer: { permission: string } }>('{ viewer { permission } }')).viewer
        .permission,
    ).toBe('READ_ONLY');

    const listed = oneJsonObject(await cli(app, 'token', 'list', '--org', org, '--json')) as {
      tokens: { id: string; name: string }[];
    };
    expect(listed.tokens.map((t) => t.name)).toContain('Wallboard');
    expect(JSON.stringify(listed)).not.toContain(secret);

    const revoked = await cli(app, 'token', 'revoke', token.id, '--json');
    expect(revoked.code).toBe(0);
    expect((oneJsonObject(revoked) as { token: { status: string } }).token.status).toBe('REVOKED');
    const refused = await client.request('{ viewer { permission } }');
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.reason).toBe('REVOKED');

    const events = await app.services.db.reader.find(AuditEvent, {
      where: { organizationId: org, targetId: token.id },
      order: { at: 'ASC' },
    });
    expect(events.map((e) => [e.action, e.outcome, e.token])).toEqual([
      ['cli.token.create', 'SUCCEEDED', null],
      ['cli.token.revoke', 'SUCCEEDED', null],
    ]);
  });

  it('creates a token limited to some boards with --boards, and lists each token’s scope', async () => {
    const org = app.organization.id;
    const board = async (name: string) =>
      (
        await app.data<{ createBoard: { id: string } }>(
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name },
        )
      ).createBoard.id;
    const payments = await board('Payments');
    const search = await board('Search');
    const created = await cli(
      app,
      'token',
      'create',
      '--org',
      org,
      '--name',
      'Payments BI',
      '--permission',
      'read-only',
      '--boards',
      `${payments}, ${payments}`,
      '--json',
    );
    expect(created.code).toBe(0);
    const { token, secret } = oneJsonObject(created) as {
      token: { id: string; boards: { id: string; name: string }[] | null };
      secret: string;
    };
    expect(token.boards).toEqual([{ id: payments, name: 'Payments' }]);
    const seen = await app
      .client(secret)
      .data<{ boards: { nodes: { id: string }[] } }>('{ boards { nodes { id } } }');
    expect(seen.boards.nodes).toEqual([{ id: payments }]);

    const listed = oneJsonObject(await cli(app, 'token', 'list', '--org', org, '--json')) as {
      tokens: { id: string; boards: unknown }[];
    };
    expect(listed.tokens.find((t) => t.id === token.id)?.boards).toEqual([
      { id: payments, name: 'Payments' },
    ]);
    expect(listed.tokens.find((t) => t.id === app.identities.full.token.id)?.boards).toBeNull();
    const text = await cli(app, 'token', 'list', '--org', org);
    expect(text.stdout).toMatch(/ BOARDS +NAME$/m);
    expect(text.stdout).toMatch(new RegExp(`${payments} +Payments BI$`, 'm'));

    // set-boards changes the scope (--all: every board again), as updateApiToken does.
    const widened = await cli(app, 'token', 'set-boards', token.id, '--all', '--json');
    expect((oneJsonObject(widened) as { token: { boards: unknown } }).token.boards).toBeNull();
    const narrowed = await cli(app, 'token', 'set-boards', token.id, '--boards', search, '--json');
    expect((oneJsonObject(narrowed) as { token: { boards: unknown } }).token.boards).toEqual([
      { id: search, name: 'Search' },
    ]);
    const both = await cli(app, 'token', 'set-boards', token.id, '--json');
    expect(both.code).toBe(1);

    // An empty list and a board of no one are refused like the API refuses them.
    for (const [boards, code] of [
      ['', 'BAD_USER_INPUT'],
      [`${search},nope`, 'NOT_FOUND'],
    ]) {
      const refused = await cli(
        app,
        'token',
        'create',
        '--org',
        org,
        '--name',
        'x',
        '--permission',
        'read-only',
        '--boards',
        boards,
        '--json',
      );
      expect(refused.code).toBe(1);
      expect((oneJsonObject(refused) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it('refuses bad input with one line on stderr, a JSON error on stdout and exit code 1', async () => {
    const bad = await cli(
      app,
      'token',
      'create',
      '--org',
      app.organization.id,
      '--name',
      'x',
      '--permission',
      'admin',
      '--json',
    );
    expect(bad.code).toBe(1);
    expect((oneJsonObject(bad) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
    expect(bad.stderr).toContain('--permission must be full-access or read-only.');

    const past = await cli(
      app,
      'token',
      'create',
      '--org',
      app.organization.id,
      '--name',
      'x',
      '--permission',
      'read-only',
      '--expires-at',
      '2001-01-01T00:00:00Z',
    );
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('expiresAt must lie in the future');

    const unknownOrg = await cli(app, 'token', 'list', '--org', 'nope');
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stdout).toBe('');

    const lastFull = await cli(app, 'token', 'revoke', app.identities.full.token.id);
    expect(lastFull.code).toBe(1);
    expect(lastFull.stderr).toContain('last usable full-access token');
  });
});
