import { cli } from '../helpers/cli';
import { TestApp } from '../helpers/test-app';

interface TokenJson {
  id: string;
  status: string;
  active: boolean;
  permission: string;
  expiresAt: string | null;
  prefix: string;
}

// Issue 14 item 15: the command line can do what the API does with tokens.
describe('the command line manages tokens as the API does', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  const token = async (...argv: string[]): Promise<TokenJson> => {
    const run = await cli(app, ...argv, '--json');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return (JSON.parse(run.stdout) as { token: TokenJson }).token;
  };

  /** `token create` of a read-only token named bi, with `extra` arguments after. */
  const createReadOnly = (...extra: string[]) =>
    cli(app, 'token', 'create', '--name', 'bi', '--permission', 'read-only', ...extra);

  it('accepts READ_ONLY and FULL_ACCESS as --permission', async () => {
    const created = await token('token', 'create', '--name', 'bi', '--permission', 'READ_ONLY');
    expect(created.permission).toBe('READ_ONLY');
    const admin = await token('token', 'create', '--name', 'a', '--permission', 'FULL_ACCESS');
    expect(admin.permission).toBe('FULL_ACCESS');
  });

  // Found by a hostile client: parseArgs kept the last of a repeated option, so a wrapper's
  // `--permission read-only` followed by a caller's `--permission full-access` made full access.
  it('refuses an option given twice, and creates nothing', async () => {
    const before = await cli(app, 'token', 'list', '--json');
    const run = await createReadOnly('--permission', 'full-access');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--permission may be given once.');
    expect((await cli(app, 'token', 'list', '--json')).stdout).toBe(before.stdout);
  });

  // Found by a new user: an unknown id was a usage error, with the usage line in the message.
  it('says NOT_FOUND for an unknown id, without the usage line', async () => {
    const unknown = '00000000-0000-0000-0000-000000000000';
    for (const argv of [
      ['token', 'revoke', unknown],
      ['token', 'deactivate', unknown],
      ['token', 'list', '--org', unknown],
    ]) {
      const run = await cli(app, ...argv, '--json');
      expect(run.code).toBe(1);
      const { error } = JSON.parse(run.stdout || run.stderr) as {
        error: { message: string; code: string };
      };
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toMatch(
        /^No (token|organization) with this id; `statusgraph \w+ list` shows them\.$/,
      );
    }
  });

  // Found by a new user: `new Date` read these, rolling 2027-02-30 over to March 2 and storing
  // a year past 9999 as year 0 (a token expired from the moment it was made).
  it('refuses an --expires-at the API would refuse, and creates nothing', async () => {
    const before = await cli(app, 'token', 'list', '--json');
    for (const expiresAt of [
      '2031-02-30T00:00:00Z',
      '2031-01-01T24:00:00Z',
      '2031-01-01',
      '9999-12-31T23:00:00-02:00',
    ]) {
      const create = await createReadOnly('--expires-at', expiresAt);
      expect(create.code).toBe(1);
      expect(create.stderr).toContain(
        '--expires-at must be an ISO 8601 date-time with a time zone',
      );
      const { id } = app.identities.readOnly.token;
      const set = await cli(app, 'token', 'set-expiry', id, '--expires-at', expiresAt);
      expect(set.code).toBe(1);
    }
    expect((await cli(app, 'token', 'list', '--json')).stdout).toBe(before.stdout);
  });

  it('deactivates, activates, sets permission and expiry, and rotates', async () => {
    const { id } = await token('token', 'create', '--name', 'bi', '--permission', 'read-only');
    expect(await token('token', 'deactivate', id)).toMatchObject({
      status: 'INACTIVE',
      active: false,
    });
    expect(await token('token', 'activate', id)).toMatchObject({ status: 'ACTIVE', active: true });
    expect(await token('token', 'set-permission', id, '--permission', 'FULL_ACCESS')).toMatchObject(
      {
        permission: 'FULL_ACCESS',
      },
    );
    expect(
      await token('token', 'set-expiry', id, '--expires-at', '2031-01-01T00:00:00Z'),
    ).toMatchObject({ expiresAt: '2031-01-01T00:00:00.000Z' });
    expect(await token('token', 'set-expiry', id, '--none')).toMatchObject({ expiresAt: null });

    const rotated = await cli(app, 'token', 'rotate', id, '--json');
    expect(rotated.code).toBe(0);
    const body = JSON.parse(rotated.stdout) as { token: TokenJson; secret: string };
    expect(body.token.id).toBe(id);
    const viewer = await app
      .client(body.secret)
      .data<{ viewer: { token: { id: string } } }>('{ viewer { token { id } } }');
    expect(viewer.viewer.token.id).toBe(id);
  });

  it('does not call a revoked token active', async () => {
    const { id } = await token('token', 'create', '--name', 'bi', '--permission', 'read-only');
    expect(await token('token', 'revoke', id)).toMatchObject({ status: 'REVOKED', active: false });
  });

  it('lists tokens with column headers, status, expiry and last use', async () => {
    const run = await cli(app, 'token', 'list');
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual([
      'ID',
      'PREFIX',
      'PERMISSION',
      'STATUS',
      'EXPIRES',
      'LAST USED',
      'BOARDS',
      'NAME',
    ]);
    const full = rows.find((row) => row.startsWith(app.identities.full.token.id));
    expect(full).toMatch(/FULL_ACCESS\s+ACTIVE\s+never\s+never\s+all\s+First full-access token$/);
  });

  it('prints the one relevant usage line for a usage error', async () => {
    const run = await cli(app, 'token', 'set-expiry');
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      'statusgraph: the token id is required.',
      'Usage: statusgraph token set-expiry ID --expires-at ISO|--none [--json]',
    ]);
  });
});
