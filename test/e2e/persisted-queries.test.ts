import { createHash } from 'node:crypto';
import { TestApp } from '../helpers/test-app';

const QUERY = '{ boards(first: 1) { totalCount } }';
const HASH = createHash('sha256').update(QUERY).digest('hex');

// Issue 14 item 6: Apollo's APQ cache is shared by every organization (it sees no request
// context), so organization A could learn whether B ever sent an exact query text. APQ is off.
describe('automatic persisted queries', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  async function post(secret: string, body: Record<string, unknown>) {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: app.client(secret).headers(),
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: JSON.parse(text) as {
        data?: unknown;
        errors?: { message: string; extensions?: { code?: string } }[];
      },
    };
  }

  const persisted = { persistedQuery: { version: 1, sha256Hash: HASH } };

  it('answers a hash-only request with PERSISTED_QUERY_NOT_SUPPORTED, even after another organization sent the query with its hash', async () => {
    const other = await app.otherOrganization();
    const registering = await post(other.identity.secret, {
      query: QUERY,
      extensions: persisted,
    });
    expect(registering.body.errors?.map((e) => e.extensions?.code)).toEqual([
      'PERSISTED_QUERY_NOT_SUPPORTED',
    ]);

    const probe = await post(app.identities.full.secret, { extensions: persisted });
    expect(probe.body.errors?.map((e) => e.extensions?.code)).toEqual([
      'PERSISTED_QUERY_NOT_SUPPORTED',
    ]);
    // A request error, nothing ran: 400 (found by a new user: Apollo's own answer is 200).
    expect([registering.status, probe.status]).toEqual([400, 400]);
    expect(probe.body.data ?? null).toBeNull();
    expect(probe.text).not.toContain('totalCount');
  });

  it('still runs the same query sent as text', async () => {
    const response = await post(app.identities.full.secret, { query: QUERY });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ data: { boards: { totalCount: 0 } } });
    expect(response.body).not.toHaveProperty('errors');
  });
});
