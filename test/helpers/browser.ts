import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium, headless, with nothing of its own reaching out (same as the playground's). */
export const CHROMIUM = '/usr/bin/chromium';
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

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Every request the browser made for this page. */
  requests: SeenRequest[];
  /** Failed requests, console errors (CSP violations included) and uncaught page errors. */
  problems: string[];
}

/** A fresh context and page that records every request and every problem. */
export async function openSession(
  browser: Browser,
  viewport: { width: number; height: number },
): Promise<Session> {
  const context = await browser.newContext({ viewport, timezoneId: 'UTC', locale: 'en-GB' });
  const page = await context.newPage();
  const session: Session = { context, page, requests: [], problems: [] };
  context.on('request', (request) =>
    session.requests.push({
      method: request.method(),
      url: request.url(),
      headers: request.headers(),
    }),
  );
  context.on('requestfailed', (request) =>
    session.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      session.problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => session.problems.push(`page error: ${error.message}`));
  return session;
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
