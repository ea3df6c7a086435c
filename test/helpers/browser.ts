import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';

/**
 * Debian's Chromium (playwright-core downloads no browser), headless, with nothing of its own
 * reaching out; STATUSGRAPH_TEST_CHROMIUM names another path, for a check only.
 */
export const CHROMIUM = process.env.STATUSGRAPH_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Git-ignored: screenshots the browser tests save, to be looked at. */
export const ARTIFACTS = join(__dirname, '..', 'artifacts');

/** Bounded waits: generous for a slow, shared machine, but a broken page still fails in time. */
export const WAIT = 15_000;

/** Without the browser a test cannot run: say how to get it, not a launch stack. */
export function missingChromium(): Error {
  const message =
    `No Chromium at ${CHROMIUM}: the browser tests drive Debian's Chromium. ` +
    'Install it with `apt-get install chromium` (as root), then run the tests again.';
  const error = new Error(message);
  error.stack = message;
  return error;
}

/** Launches the headless Chromium, or fails with how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw missingChromium();
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The request's body (a POST's), or null. */
  body: string | null;
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Every request the browser made for this page. */
  requests: SeenRequest[];
  /** Failed requests, console errors (CSP violations included) and uncaught page errors. */
  problems: string[];
  /** Requests sent and not yet answered or failed (a reload now would abort them). */
  inFlight: number;
}

export interface SessionOptions {
  /** The context's settings besides the viewport (by default UTC and en-GB). */
  context?: BrowserContextOptions;
  /** Which console messages count as problems (by default errors and warnings). */
  consoleProblems?: readonly string[];
}

/**
 * A fresh context and page that records every request (the context's: workers' too) and every
 * problem.
 */
export async function openSession(
  browser: Browser,
  viewport: { width: number; height: number },
  options: SessionOptions = {},
): Promise<Session> {
  const {
    context: contextOptions = { timezoneId: 'UTC', locale: 'en-GB' },
    consoleProblems = ['error', 'warning'],
  } = options;
  const context = await browser.newContext({ ...contextOptions, viewport });
  const page = await context.newPage();
  const session: Session = { context, page, requests: [], problems: [], inFlight: 0 };
  context.on('request', () => session.inFlight++);
  context.on('requestfinished', () => session.inFlight--);
  context.on('requestfailed', () => session.inFlight--);
  context.on('request', (request) =>
    session.requests.push({
      method: request.method(),
      url: request.url(),
      headers: request.headers(),
      body: request.postData(),
    }),
  );
  context.on('requestfailed', (request) =>
    session.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('console', (message) => {
    if (consoleProblems.includes(message.type())) {
      session.problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => session.problems.push(`page error: ${error.message}`));
  return session;
}

export interface Chromium {
  /** Whether Chromium launched (before it, or without it, no test ran). */
  launched(): boolean;
  /** A fresh session (see openSession), closed after the test. */
  open(viewport: { width: number; height: number }, options?: SessionOptions): Promise<Session>;
}

/**
 * Chromium for the tests of the describe block this is called in: launched once before them,
 * closed after them; each test's session is closed after the test, before the block's own
 * afterEach hooks declared later run.
 */
export function useChromium(timeout: number): Chromium {
  let browser: Browser | undefined;
  let session: Session | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, timeout);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await session?.context.close();
    session = undefined;
  });
  return {
    launched: () => browser !== undefined,
    async open(viewport, options) {
      if (!browser) {
        throw missingChromium();
      }
      session = await openSession(browser, viewport, options);
      return session;
    },
  };
}

/** Requests that went anywhere but `origin` (another host, port or scheme). */
export function elsewhere(session: Session, origin: string): string[] {
  const host = new URL(origin).host;
  return session.requests
    .map((r) => r.url)
    .filter((url) => {
      const parsed = new URL(url);
      return parsed.protocol !== 'http:' || parsed.host !== host;
    });
}

/** Everything went to `origin` (127.0.0.1, same port), nothing failed, nothing was logged. */
export function expectOnlyThisServer(session: Session, origin: string): void {
  expect(new URL(origin).hostname).toBe('127.0.0.1');
  expect(session.requests.length).toBeGreaterThan(0);
  expect(elsewhere(session, origin)).toEqual([]);
  expect(session.problems).toEqual([]);
}

/**
 * Declares tests on one page each: `open` opens it, the test drives it, and then the page must
 * have talked to nobody but `origin()` and had no problem (expectOnlyThisServer).
 */
export function pageTests(
  open: () => Promise<Session>,
  origin: () => string,
  timeout: number,
): (name: string, drive: (session: Session) => Promise<void>) => void {
  return (name, drive) =>
    it(
      name,
      async () => {
        const session = await open();
        await drive(session);
        expectOnlyThisServer(session, origin());
      },
      timeout,
    );
}

/** Saves a screenshot of the page in ARTIFACTS and checks it is not empty. */
export async function saveScreenshot(
  page: Page,
  file: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, file);
  await page.screenshot({ path, ...options });
  expect(statSync(path).size).toBeGreaterThan(10_000);
}

/**
 * Reads `read` until `check` passes (every 100 ms, for at most `timeout`) and returns what it read;
 * past the deadline, the last failed assertion fails the test.
 */
export async function eventually<T>(
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

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's audit of the page as it is now (WCAG 2.x A and AA rules and best practices). The
 * engine is evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate<AxeViolation[]>(`
    axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })),
    )`);
}
