import { cli } from '../helpers/cli';
import { seedBoard } from '../helpers/scope-fixture';
import { TestApp } from '../helpers/test-app';

// Issue 14 item 14: whoever lost the first token finds the organization's id with
// `statusgraph org list`, and with a single organization `token create` needs no --org.
describe('the command line and organizations', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  it('lists organizations with their ids, as JSON and as a table with headers', async () => {
    const json = await cli(app, 'org', 'list', '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({
      organizations: [{ id: app.organization.id, name: 'Acme' }],
    });
    const text = await cli(app, 'org', 'list');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME$/);
    expect(lines[1]).toMatch(new RegExp(`^${app.organization.id}\\s+Acme$`));
  });

  it('creates and lists tokens without --org when there is one organization', async () => {
    const created = await cli(
      app,
      'token',
      'create',
      '--name',
      'recovery',
      '--permission',
      'full-access',
      '--json',
    );
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { organization: { id: string }; secret: string };
    expect(body.organization.id).toBe(app.organization.id);
    const viewer = await app
      .client(body.secret)
      .data<{ viewer: { permission: string } }>('{ viewer { permission } }');
    expect(viewer.viewer.permission).toBe('FULL_ACCESS');

    const list = await cli(app, 'token', 'list', '--json');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { tokens: unknown[] }).tokens.length).toBeGreaterThan(1);
  });

  it('asks for --org, naming org list, when there are several organizations', async () => {
    await app.otherOrganization();
    const run = await cli(app, 'token', 'create', '--name', 'x', '--permission', 'read-only');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--org is required when there are 2 organizations/);
    expect(run.stderr).toMatch(/statusgraph org list/);
  });
});

// A token limited to boards (`token create --boards`) needs their ids: `board list` shows them.
describe('the command line and boards', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  it('lists the live boards of the organization, oldest first, as JSON and as a table', async () => {
    const ops = await seedBoard(app, 'Ops, EU');
    const web = await seedBoard(app, 'Web');
    const gone = await seedBoard(app, 'Gone');
    await app.data('mutation($id: ID!) { deleteBoard(id: $id) }', { id: gone.boardId });
    await app.otherOrganization();

    const json = await cli(app, 'board', 'list', '--org', app.organization.id, '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({
      boards: [
        { id: ops.boardId, name: 'Ops, EU' },
        { id: web.boardId, name: 'Web' },
      ],
    });
    const text = await cli(app, 'board', 'list', '--org', app.organization.id);
    expect(text.stdout.trim().split('\n')).toEqual([
      `${'ID'.padEnd(36)}  NAME`,
      `${ops.boardId}  Ops, EU`,
      `${web.boardId}  Web`,
    ]);

    const scoped = await cli(
      app,
      'token',
      'create',
      '--org',
      app.organization.id,
      '--name',
      'wallboard',
      '--permission',
      'read-only',
      '--boards',
      web.boardId,
      '--json',
    );
    expect(scoped.code).toBe(0);
    const { secret } = JSON.parse(scoped.stdout) as { secret: string };
    const seen = await app
      .client(secret)
      .data<{ boards: { nodes: { name: string }[] } }>('{ boards { nodes { name } } }');
    expect(seen.boards.nodes).toEqual([{ name: 'Web' }]);
  });
});
