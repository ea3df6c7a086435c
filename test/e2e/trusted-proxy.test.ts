import { loadConfig } from '../../src/core/config';
import { TestApp } from '../helpers/test-app';

const CLIENT = '203.0.113.7';

/** A request that claims, through X-Forwarded-For, to come from CLIENT (or what `header` says). */
async function forwarded(
  app: TestApp,
  secret: string,
  query: string,
  header = `${CLIENT}, 10.0.0.5`,
): Promise<number> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { ...app.client(secret).headers(), 'x-forwarded-for': header },
    body: JSON.stringify({ query }),
  });
  return response.status;
}

/** A read and a mutation, each claiming through X-Forwarded-For to come from CLIENT. */
async function useThroughTheProxy(app: TestApp): Promise<void> {
  expect(await forwarded(app, app.identities.readOnly.secret, '{ viewer { permission } }')).toBe(
    200,
  );
  expect(
    await forwarded(
      app,
      app.identities.full.secret,
      'mutation { createBoard(input: { name: "x" }) { id } }',
    ),
  ).toBe(200);
}

async function lastUseAndAuditIp(app: TestApp) {
  await app.services.lastUse.flush();
  const { apiToken, auditEvents } = await app.asFullAccess().data<{
    apiToken: { lastUsedIp: string };
    auditEvents: { nodes: { ip: string; action: string }[] };
  }>(`query($id: ID!) { apiToken(id: $id) { lastUsedIp } auditEvents(filter: { action: "createBoard" }) { nodes { ip action } } }`, { id: app.identities.readOnly.token.id });
  return { lastUsedIp: apiToken.lastUsedIp, auditIp: auditEvents.nodes[0]?.ip };
}

/** The read-only token's last-used address after one read whose X-Forwarded-For is `header`. */
async function lastUsedIpThroughLoopback(app: TestApp, header: string): Promise<string> {
  const { secret } = app.identities.readOnly;
  expect(await forwarded(app, secret, '{ viewer { permission } }', header)).toBe(200);
  return (await lastUseAndAuditIp(app)).lastUsedIp;
}

describe('the client address behind a load balancer', () => {
  let app: TestApp;
  afterEach(() => app.close());

  it('ignores X-Forwarded-For unless the request comes through a trusted proxy', async () => {
    app = await TestApp.start({ lastUsedWriteIntervalSeconds: 0 });
    await useThroughTheProxy(app);
    const seen = await lastUseAndAuditIp(app);
    expect(seen.lastUsedIp).toMatch(/127\.0\.0\.1$/);
    expect(seen.auditIp).toMatch(/127\.0\.0\.1$/);
  });

  it('takes the client from X-Forwarded-For when the proxy (here: loopback) is trusted', async () => {
    app = await TestApp.start({ lastUsedWriteIntervalSeconds: 0, trustedProxies: ['loopback'] });
    await useThroughTheProxy(app);
    // Only loopback (the socket) is trusted: the address it forwards for, the nearest entry of
    // X-Forwarded-For (10.0.0.5), is the client; what 10.0.0.5 itself claims is not believed.
    const seen = await lastUseAndAuditIp(app);
    expect(seen.lastUsedIp).toBe('10.0.0.5');
    expect(seen.auditIp).toBe('10.0.0.5');
  });

  it('walks the whole chain when every hop in it is trusted', async () => {
    app = await TestApp.start({
      lastUsedWriteIntervalSeconds: 0,
      trustedProxies: ['loopback', '10.0.0.0/8'],
    });
    await useThroughTheProxy(app);
    const seen = await lastUseAndAuditIp(app);
    expect(seen.lastUsedIp).toBe(CLIENT);
    expect(seen.auditIp).toBe(CLIENT);
  });

  it.each([
    ['203.0.113.7:54321', CLIENT],
    ['[2001:db8::7]:443', '2001:db8::7'],
    ['[2001:db8::7]', '2001:db8::7'],
  ])(
    'reads the address of an entry with a port (%j), as some gateways write it',
    async (header, client) => {
      app = await TestApp.start({ lastUsedWriteIntervalSeconds: 0, trustedProxies: ['loopback'] });
      expect(await lastUsedIpThroughLoopback(app, header)).toBe(client);
    },
  );

  it.each(['not-an-ip, <script>', '<script>', 'unknown', '203.0.113.7:port'])(
    'takes the trusted proxy itself for the client when the address it names (%j) is none (found by a hostile probe)',
    async (header) => {
      app = await TestApp.start({ lastUsedWriteIntervalSeconds: 0, trustedProxies: ['loopback'] });
      expect(await lastUsedIpThroughLoopback(app, header)).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    },
  );

  it.each(['*', 'example.com', '10.0.0.0/33', '300.1.1.1', '10.0.0.1/8/2'])(
    'refuses TRUSTED_PROXIES=%j',
    (value) => {
      expect(() => loadConfig({ TRUSTED_PROXIES: value })).toThrow(/TRUSTED_PROXIES/);
    },
  );

  it('reads a list of addresses, ranges and names', () => {
    expect(
      loadConfig({ TRUSTED_PROXIES: 'loopback, 10.0.0.0/8, 192.0.2.1, ::1' }).trustedProxies,
    ).toEqual(['loopback', '10.0.0.0/8', '192.0.2.1', '::1']);
  });
});
