import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { PLAYGROUND_ASSETS } from '../../src/server/playground/playground';
import { TestApp } from '../helpers/test-app';

/**
 * The GraphiQL playground in a real (headless) Chromium against a real server: the page and its
 * editors, the token in the Headers tab, a query, the docs, a refused mutation, the assets' caching
 * and compression, and the promise that the page talks to nobody but this server.
 */

/** Debian's Chromium (playwright-core downloads no browser); another path for a check only. */
const CHROMIUM = process.env.STATUSGRAPH_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Without the browser the test cannot run: say how to get it, not a launch stack. */
function missingChromium(): Error {
  const message =
    `No Chromium at ${CHROMIUM}: the playground test drives Debian's Chromium. ` +
    'Install it with `apt-get install chromium` (as root), then run the tests again.';
  const error = new Error(message);
  error.stack = message;
  return error;
}
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const SCREENSHOT = join(ARTIFACTS, 'playground.png');

/** Bounded waits: generous for a slow, shared machine, but a broken page still fails in time. */
const WAIT = 15_000;
const TEST_TIMEOUT = 60_000;

const READ_ONLY_MESSAGE =
  'This operation requires a full-access API token; this token is read-only.';
const MUTATION = 'mutation { createBoard(input: { name: "From the browser" }) { id } }';

/** The versioned GraphiQL assets the page loads (paths on the app's origin). */
const VERSIONED_ASSETS = [
  `${PLAYGROUND_ASSETS}/graphiql.css`,
  `${PLAYGROUND_ASSETS}/yoga-graphiql.umd.js`,
  `${PLAYGROUND_ASSETS}/monacoeditorwork/editor.worker.bundle.js`,
  `${PLAYGROUND_ASSETS}/monacoeditorwork/json.worker.bundle.js`,
  `${PLAYGROUND_ASSETS}/monacoeditorwork/graphql.worker..bundle.js`,
];
/** Every request the page makes by itself, before anyone runs anything. */
const PAGE_LOAD = [
  'GET /graphql',
  'GET /playground/init.js',
  ...VERSIONED_ASSETS.map((p) => `GET ${p}`),
];

interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

interface Session {
  context: BrowserContext;
  page: Page;
  /** Every request the browser made for this page (the page, its assets, workers, fetches). */
  requests: SeenRequest[];
  /** Failed requests, console errors and uncaught page errors, as text. */
  problems: string[];
}

/**
 * Reads `read` until `check` passes (every 100 ms, for at most `timeout`) and returns what it read;
 * past the deadline, the last failed assertion fails the test.
 */
async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => void,
  timeout = WAIT,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return value;
    } catch (error) {
      if (Date.now() >= deadline) {
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Monaco renders spaces as no-break spaces; compare text as a person reads it. */
function readable(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

/**
 * Text with Monaco's soft wrapping undone and runs of white space made one space: a wrapped line
 * ends with a rendered-whitespace glyph (a middle dot) before the break.
 */
function flat(text: string): string {
  return readable(text)
    .replace(/[\u00b7\u2e31]?\n/g, ' ')
    .replace(/\s+/g, ' ');
}

/** The text of a Monaco editor (all its lines are in the DOM: every editor here is short). */
async function editorText(editor: Locator): Promise<string> {
  return readable(await editor.locator('.view-lines').innerText({ timeout: WAIT }));
}

/** Replaces the content of a Monaco editor the way a person does: click, select all, type. */
async function replaceEditorText(page: Page, editor: Locator, text: string): Promise<void> {
  await editor.locator('.view-lines').click({ timeout: WAIT });
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await eventually(
    () => editorText(editor),
    (shown) => expect(shown).toBe(text),
  );
}

const queryEditor = (page: Page) => page.locator('.graphiql-query-editor .monaco-editor');
/** The Headers tab's editor (the hidden Variables editor shares the tool area). */
const headersEditor = (page: Page) =>
  page.locator('.graphiql-editor-tool .monaco-editor[data-uri$="-request-headers.json"]');
const resultPane = (page: Page) => page.locator('.graphiql-response .monaco-editor');

describe('the GraphiQL playground in a real browser', () => {
  let browser: Browser | undefined;
  let app: TestApp;
  let session: Session | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw missingChromium();
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    app = await TestApp.start();
  }, TEST_TIMEOUT);
  afterEach(async () => {
    await session?.context.close();
    session = undefined;
    // Without a browser nothing started (beforeAll failed, so beforeEach never ran).
    if (browser) {
      await app.close();
    }
  });

  /** `METHOD /path` of each request, for requests on the app's origin. */
  const pathsOf = (requests: SeenRequest[]) =>
    requests.map((r) => `${r.method} ${new URL(r.url).pathname}`);
  const graphqlPosts = (requests: SeenRequest[]) =>
    requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/graphql');

  /** A fresh context and page on `GET /graphql`, recording every request and every problem. */
  async function openPlayground(): Promise<Session> {
    if (!browser) {
      throw missingChromium();
    }
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const opened: Session = { context, page, requests: [], problems: [] };
    session = opened;
    // The context also sees the requests of the page's Monaco workers.
    context.on('request', (request) =>
      opened.requests.push({
        method: request.method(),
        url: request.url(),
        headers: request.headers(),
        body: request.postData(),
      }),
    );
    context.on('requestfailed', (request) =>
      opened.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
    );
    page.on('console', (message) => {
      if (message.type() === 'error') {
        opened.problems.push(`console error: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => opened.problems.push(`page error: ${error.message}`));

    const response = await page.goto(`${app.url}/graphql`, { waitUntil: 'load', timeout: WAIT });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    await queryEditor(page).waitFor({ timeout: WAIT });
    await headersEditor(page).waitFor({ timeout: WAIT });
    await resultPane(page).waitFor({ state: 'attached', timeout: WAIT });
    return opened;
  }

  /** Everything went to this server (same host and port), nothing failed, nothing was logged. */
  function expectOnlyThisServer(opened: Session): void {
    const origin = new URL(app.url);
    expect(origin.hostname).toBe('127.0.0.1');
    expect(opened.requests.length).toBeGreaterThan(0);
    const elsewhere = opened.requests
      .map((r) => r.url)
      .filter((url) => {
        const parsed = new URL(url);
        return parsed.protocol !== 'http:' || parsed.host !== origin.host;
      });
    expect(elsewhere).toEqual([]);
    expect(opened.problems).toEqual([]);
  }

  async function enterToken(opened: Session, secret: string): Promise<void> {
    await replaceEditorText(
      opened.page,
      headersEditor(opened.page),
      `{"Authorization": "Bearer ${secret}"}`,
    );
  }

  it(
    'loads only from this server and shows the Headers tab with the place for the token',
    async () => {
      const opened = await openPlayground();
      const { page } = opened;

      const headersTab = page.locator('.graphiql-editor-tools button', { hasText: 'Headers' });
      await eventually(
        () => headersTab.isVisible(),
        (visible) => expect(visible).toBe(true),
      );
      expect(await headersEditor(page).isVisible()).toBe(true);
      await eventually(
        () => editorText(headersEditor(page)),
        (shown) => expect(shown).toMatch(/"Authorization"\s*:\s*"Bearer sgp_\.\.\."/),
      );
      expect(await editorText(queryEditor(page))).toContain('Headers tab');

      // The page, its start-up script, the bundle, its styles and the three Monaco workers; no
      // GraphQL request while the placeholder is in (the fetcher answers those itself).
      const loaded = await eventually(
        async () => [...pathsOf(opened.requests)].sort(),
        (paths) => expect(paths).toEqual([...PAGE_LOAD].sort()),
      );
      expect(loaded).toHaveLength(7);
      expect(graphqlPosts(opened.requests)).toEqual([]);
      expectOnlyThisServer(opened);
    },
    TEST_TIMEOUT,
  );

  it(
    'has a second tab of commented token-management examples',
    async () => {
      const opened = await openPlayground();
      const { page } = opened;
      const tabs = page.locator('.graphiql-tab');
      await eventually(
        () => tabs.count(),
        (count) => expect(count).toBe(2),
      );
      await tabs.nth(1).locator('button').first().click({ timeout: WAIT });
      const examples = await eventually(
        () => editorText(queryEditor(page)),
        (text) => expect(text).toContain('createApiToken'),
      );
      expect(examples).toMatch(
        /createApiToken\(input: \{ name: "BI dashboard", permission: READ_ONLY \}\)/,
      );
      expect(examples).toContain('apiTokens(first: 50)');
      expect(examples).toContain('deactivateApiToken(id:');
      expect(examples).toContain('# Managing API tokens');
      expectOnlyThisServer(opened);
    },
    TEST_TIMEOUT,
  );

  it(
    'runs the default query with a READ_ONLY token and shows the data',
    async () => {
      const opened = await openPlayground();
      const { page } = opened;
      const secret = app.identities.readOnly.secret;
      await enterToken(opened, secret);
      await page.locator('.graphiql-execute-button').click({ timeout: WAIT });

      const result = await eventually(
        () => editorText(resultPane(page)),
        (shown) => expect(shown).toMatch(/"permission"\s*:\s*"READ_ONLY"/),
      );
      expect(result).toMatch(/"name"\s*:\s*"Acme"/);
      expect(result).toMatch(/"boards"\s*:/);
      expect(result).not.toContain('"errors"');

      // The token typed into the Headers tab is what went to the server, with the default query
      // (beside the schema's re-fetch that the token set off).
      const [sent, ...more] = graphqlPosts(opened.requests).filter(
        (post) => !(post.body ?? '').includes('__schema'),
      );
      expect(more).toEqual([]);
      expect(sent?.headers.authorization).toBe(`Bearer ${secret}`);
      expect(sent?.body).toContain('viewer');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
      expectOnlyThisServer(opened);
    },
    TEST_TIMEOUT,
  );

  it(
    'loads the schema docs as soon as the token is in, with no key to press',
    async () => {
      const opened = await openPlayground();
      const { page } = opened;
      await enterToken(opened, app.identities.readOnly.secret);
      // No Shift-Ctrl-R (the browser's own hard reload too): typing the token re-fetches it.
      const introspection = await eventually(
        async () => graphqlPosts(opened.requests),
        (posts) => expect(posts).toHaveLength(1),
      );
      expect(introspection[0]?.body).toContain('__schema');
      expect(introspection[0]?.headers.authorization).toBe(
        `Bearer ${app.identities.readOnly.secret}`,
      );

      await page.locator('button[aria-label="Show Documentation Explorer"]').click({
        timeout: WAIT,
      });
      const docs = page.locator('.graphiql-doc-explorer');
      await docs
        .locator('.graphiql-doc-explorer-type-name', { hasText: /^Query$/ })
        .first()
        .click({ timeout: WAIT });
      const fields = await eventually(
        async () => docs.locator('.graphiql-doc-explorer-field-name').allInnerTexts(),
        (names) => expect(names).toContain('incidents'),
      );
      expect(fields).toEqual(expect.arrayContaining(['viewer', 'boards', 'incidents']));
      expect(await docs.innerText()).not.toContain('Error fetching schema');
      expectOnlyThisServer(opened);
    },
    TEST_TIMEOUT,
  );

  it(
    'refuses a mutation with the READ_ONLY token, says why, and creates nothing',
    async () => {
      const opened = await openPlayground();
      const { page } = opened;
      const secret = app.identities.readOnly.secret;
      await enterToken(opened, secret);
      await replaceEditorText(page, queryEditor(page), MUTATION);
      await page.keyboard.press('Control+Enter');

      const result = await eventually(
        async () => flat(await editorText(resultPane(page))),
        (shown) => expect(shown).toContain(READ_ONLY_MESSAGE),
      );
      expect(result).toMatch(/"code": "FORBIDDEN"/);
      expect(result).toMatch(/"data": null/);

      const [sent, ...more] = graphqlPosts(opened.requests).filter(
        (post) => !(post.body ?? '').includes('__schema'),
      );
      expect(more).toEqual([]);
      expect(sent?.headers.authorization).toBe(`Bearer ${secret}`);
      expect(sent?.body).toContain('createBoard');

      const { boards } = await app
        .asFullAccess()
        .data<{ boards: { totalCount: number; nodes: { name: string }[] } }>(
          '{ boards(first: 100) { totalCount nodes { name } } }',
        );
      expect(boards).toEqual({ totalCount: 0, nodes: [] });
      expectOnlyThisServer(opened);
    },
    TEST_TIMEOUT,
  );

  it(
    'serves the versioned assets with year-long immutable caching and compression',
    async () => {
      for (const path of VERSIONED_ASSETS) {
        for (const encoding of ['gzip', 'br']) {
          const response = await fetch(`${app.url}${path}`, {
            headers: { 'accept-encoding': encoding },
          });
          const body = await response.arrayBuffer();
          expect({ path, encoding, status: response.status }).toEqual({
            path,
            encoding,
            status: 200,
          });
          expect(body.byteLength).toBeGreaterThan(0);
          const cacheControl = response.headers.get('cache-control') ?? '';
          expect(cacheControl).toContain('immutable');
          expect(cacheControl).toContain('max-age=31536000');
          expect({ path, encoding: response.headers.get('content-encoding') }).toEqual({
            path,
            encoding,
          });
        }
      }
      // The unversioned start-up script must not be cached for a year.
      const init = await fetch(`${app.url}/playground/init.js`);
      expect(init.status).toBe(200);
      expect(init.headers.get('cache-control')).toBe('no-cache');
    },
    TEST_TIMEOUT,
  );
});
