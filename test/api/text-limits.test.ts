import { Monitor } from '../../src/monitors/monitor.entity';
import { TestApp } from '../helpers/test-app';

const CREATE_BOARD = `mutation { createBoard(input: {name: "Ops"}) { id } }`;
const CREATE_MONITOR = `mutation($input: CreateMonitorInput!) { createMonitor(input: $input) { id host url } }`;
const UPDATE_MONITOR = `mutation($id: ID!, $input: UpdateMonitorInput!) {
  updateMonitor(id: $id, input: $input) { id host } }`;

// API.md section 5 and issue 14 item 5: every text input has a length limit, checked before the
// database. A host that passes isIP (an IPv6 zone id of any length) overflowed the column on
// PostgreSQL: INTERNAL_SERVER_ERROR.
describe('length limits of monitor texts', () => {
  let app: TestApp;
  let boardId: string;
  beforeAll(async () => {
    app = await TestApp.start();
    const board = await app.execute<{ createBoard: { id: string } }>(
      app.identities.full.secret,
      CREATE_BOARD,
    );
    boardId = board.data?.createBoard.id ?? '';
  });
  afterAll(() => app.close());

  const codes = (response: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    response.errors?.map((e) => e.extensions?.code);
  const monitorCount = () => app.services.db.reader.countBy(Monitor, { boardId });

  it.each([
    ['an IPv6 address with a 300-character zone id', `fe80::1%${'a'.repeat(300)}`],
    ['a 254-character host name', `${'a.'.repeat(126)}ab`],
  ])('refuses a PING host that is %s with BAD_USER_INPUT naming the rule', async (_c, host) => {
    const before = await monitorCount();
    const response = await app.execute(app.identities.full.secret, CREATE_MONITOR, {
      input: { boardId, displayName: 'Router', monitorType: 'PING', host },
    });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.message).toMatch(/host must be at most 253 characters/);
    expect(response.errors?.[0]?.message).not.toContain('aaaa');
    expect(await monitorCount()).toBe(before);
  });

  it('refuses the same host in updateMonitor and keeps the old one', async () => {
    const created = await app.execute<{ createMonitor: { id: string } }>(
      app.identities.full.secret,
      CREATE_MONITOR,
      { input: { boardId, displayName: 'Router', monitorType: 'PING', host: 'fe80::1%eth0' } },
    );
    expect(created.errors).toBeUndefined();
    const id = created.data?.createMonitor.id;
    const response = await app.execute(app.identities.full.secret, UPDATE_MONITOR, {
      id,
      input: { host: `fe80::1%${'a'.repeat(300)}` },
    });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect((await app.services.db.reader.findOneBy(Monitor, { id }))?.host).toBe('fe80::1%eth0');
  });

  it('accepts a host of exactly 253 characters', async () => {
    const host = `${'a.'.repeat(125)}abc`;
    expect(host).toHaveLength(253);
    const response = await app.execute<{ createMonitor: { host: string } }>(
      app.identities.full.secret,
      CREATE_MONITOR,
      { input: { boardId, displayName: 'Long', monitorType: 'PING', host } },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.createMonitor.host).toBe(host);
  });

  it('refuses a url with a NUL character with BAD_USER_INPUT', async () => {
    const response = await app.execute(app.identities.full.secret, CREATE_MONITOR, {
      input: {
        boardId,
        displayName: 'Site',
        monitorType: 'WEBSITE',
        url: 'https://a.example/\u0000',
      },
    });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});
