import { DEFAULT_LIMITS } from '../../src/core/config';
import { TestApp } from '../helpers/test-app';

/** What a browser sends when it navigates to (or reloads) a page. */
const NAVIGATION = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
};

// Issue 14 item 13: GraphiQL puts ?query=… in the URL as one edits; reloading then showed the raw
// CSRF refusal instead of the page. Every browser navigation gets the page.
describe('reloading the playground', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  it.each([
    ['?query=%7B%20viewer%20%7B%20permission%20%7D%20%7D'],
    ['?query=%7B%20viewer%20%7B%20permission%20%7D%20%7D&variables=%7B%7D&operationName=x'],
    ['?query='],
  ])('serves the page for /graphql%s', async (search) => {
    const response = await fetch(`${app.url}/graphql${search}`, { headers: NAVIGATION });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('statusgraph playground');
  });

  it('still runs a GET query that carries a token, even from a browser-like Accept', async () => {
    const response = await fetch(
      `${app.url}/graphql?query=${encodeURIComponent('{ viewer { permission } }')}`,
      { headers: { ...NAVIGATION, authorization: `Bearer ${app.identities.full.secret}` } },
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toMatchObject({
      data: { viewer: { permission: 'FULL_ACCESS' } },
      extensions: { cost: { requestedQueryCost: DEFAULT_LIMITS.costPerRequest } },
    });
  });
});
