import { TokenPermission } from '../../src/tokens/token-permission';
import { TestApp } from '../helpers/test-app';

const ORIGIN = 'https://dash.example.com';
const VIEWER = JSON.stringify({ query: '{ viewer { permission } }' });

// API.md section 2: a response to a request whose token has an expiry carries
// Statusgraph-Token-Expiration, so an integration can warn before it breaks; CORS exposes it.
describe('Statusgraph-Token-Expiration', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ corsOrigins: [ORIGIN] });
  });
  afterAll(() => app.close());

  const post = (secret: string, body = VIEWER) =>
    fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { ...app.client(secret).headers(), origin: ORIGIN },
      body,
    });

  it('carries the expiry of a token that has one, on queries, mutations and errors alike', async () => {
    const expiresAt = new Date(Date.now() + 30 * 24 * 60 * 60 * 1000);
    const expiring = await app.createToken('expiring', TokenPermission.READ_ONLY, { expiresAt });
    for (const body of [
      VIEWER,
      JSON.stringify({ query: 'mutation { createBoard(input: {name: "x"}) { id } }' }),
      JSON.stringify({ query: '{ board(id: "none") { id } }' }),
    ]) {
      const response = await post(expiring.secret, body);
      await response.arrayBuffer();
      expect(response.headers.get('statusgraph-token-expiration')).toBe(expiresAt.toISOString());
      expect(response.headers.get('access-control-expose-headers')).toMatch(
        /statusgraph-token-expiration/i,
      );
    }
  });

  it('is absent for a token without an expiry, and for a refused token', async () => {
    for (const secret of [app.identities.full.secret, app.identities.expired.secret]) {
      const response = await post(secret);
      await response.arrayBuffer();
      expect(response.headers.get('statusgraph-token-expiration')).toBeNull();
    }
  });
});
