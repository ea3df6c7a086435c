import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  ARTIFACTS,
  WAIT,
  axeViolations,
  eventually,
  expectOnlyThisServer,
  pageTests,
  saveScreenshot,
  useChromium,
  type Session,
} from '../helpers/browser';
import { ManualClock } from '../helpers/clock';
import { scopedToken } from '../helpers/scope-fixture';
import { TestApp } from '../helpers/test-app';
import { TokenPermission } from '../../src/tokens/token-permission';

/**
 * The token console (API.md section 10) in a real headless Chromium against a real server on a
 * real SQLite file. Every effect is proved through the GraphQL API, not through the page.
 */

const TEST_TIMEOUT = 90_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const DAY = 24 * 60 * 60 * 1000;
const READ_ONLY_MESSAGE =
  'This operation requires a full-access API token; this token is read-only.';

interface ApiTokenJson {
  id: string;
  name: string;
  prefix: string;
  permission: string;
  suggestedPermission: string;
  status: string;
  expiresAt: string | null;
}

const TOKENS = `{ apiTokens(first: 100) { nodes {
  id name prefix permission suggestedPermission status expiresAt } } }`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the token console in a real browser', () => {
  const chromium = useChromium(TEST_TIMEOUT);
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  }, TEST_TIMEOUT);
  afterEach(() => app.close());

  /** The organization's tokens as the API reports them (read with the full-access token). */
  async function tokenNamed(name: string): Promise<ApiTokenJson> {
    const { apiTokens } = await app
      .asFullAccess()
      .data<{ apiTokens: { nodes: ApiTokenJson[] } }>(TOKENS);
    const found = apiTokens.nodes.filter((t) => t.name === name);
    expect(found).toHaveLength(1);
    return found[0] as ApiTokenJson;
  }

  async function openConsole(viewport = DESKTOP): Promise<Session> {
    const opened = await chromium.open(viewport);
    const response = await opened.page.goto(`${app.url}/console`, { timeout: WAIT });
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toContain('unsafe');
    await opened.page.getByLabel('API token', { exact: true }).waitFor({ timeout: WAIT });
    // API.md section 10: scripts find the field by the name "API token", and only the field.
    expect(await opened.page.getByLabel('API token').count()).toBe(1);
    return opened;
  }

  /** A test on the console freshly opened on a desktop, which talks to nobody but this server. */
  const onPage = pageTests(openConsole, () => app.url, TEST_TIMEOUT);

  async function signIn(page: Page, secret: string): Promise<void> {
    await page.getByLabel('API token', { exact: true }).fill(secret);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Tokens', exact: true }).waitFor({ timeout: WAIT });
  }

  /** The token table's row of the token called `name` (found by its row header). */
  function row(page: Page, name: string): Locator {
    return page
      .getByRole('table', { name: 'Tokens' })
      .getByRole('row')
      .filter({
        has: page.getByRole('rowheader', {
          name: new RegExp(`^${escapeRegExp(name)}( this session)?$`),
        }),
      });
  }

  function button(scope: Page | Locator, name: string): Locator {
    return scope.getByRole('button', { name, exact: true });
  }

  async function cellText(page: Page, name: string, column: number): Promise<string> {
    return (await row(page, name).locator('td').nth(column).innerText()).trim();
  }
  const STATUS = 2; // Prefix, Permission, Status… (the name is the row header)

  /** No storage but this tab's sessionStorage, with the signed-in secret only; no cookies. */
  async function expectNothingStored(opened: Session, signedInWith: string | null): Promise<void> {
    expect(await opened.page.evaluate('localStorage.length')).toBe(0);
    expect(await opened.context.cookies()).toEqual([]);
    const stored = await opened.page.evaluate<string[]>(
      'Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k))',
    );
    expect(stored).toEqual(signedInWith === null ? [] : [signedInWith]);
  }

  /** axe-core finds nothing: no violation of any impact (the issue asks for no serious one). */
  async function expectNoAxeViolations(page: Page): Promise<void> {
    expect(await axeViolations(page)).toEqual([]);
  }

  async function screenshot(page: Page, file: string): Promise<void> {
    await saveScreenshot(page, file, { fullPage: true });
  }

  onPage(
    'signs in and creates a READ_ONLY token with an expiry in the dialog; the secret is shown once',
    async (opened) => {
      const { page } = opened;
      await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: app.url,
      });
      await signIn(page, app.identities.full.secret);
      await row(page, 'read-only').waitFor({ timeout: WAIT });
      const headers = await page
        .getByRole('table', { name: 'Tokens' })
        .getByRole('columnheader')
        .allInnerTexts();
      expect(headers).toEqual([
        'Name',
        'Prefix',
        'Permission',
        'Status',
        'Expires',
        'Last used',
        'Created',
        'Boards',
        'Actions',
      ]);
      // Last used, and from where (full access only): the console's own sign-in request.
      expect(await cellText(page, app.identities.full.token.name, 4)).toMatch(
        /from 127\.0\.0\.1 · Mozilla/,
      );
      await expectNoAxeViolations(page);
      await screenshot(page, 'console.png');

      await button(page, 'Add token').click();
      const dialog = page.getByRole('dialog', { name: 'Add token' });
      await dialog.waitFor({ timeout: WAIT });
      expect(await page.evaluate('document.activeElement.id')).toBe('add-name');
      const group = dialog.getByRole('radiogroup', { name: 'Permissions' });
      const fullAccess = group.getByRole('radio', { name: 'Full access', exact: true });
      const readOnly = group.getByRole('radio', { name: 'Read-only', exact: true });
      // No default: the choice is always deliberate.
      expect([await fullAccess.isChecked(), await readOnly.isChecked()]).toEqual([false, false]);
      const described = async (radio: Locator) =>
        page.locator(`[id="${await radio.getAttribute('aria-describedby')}"]`).innerText();
      expect(await described(fullAccess)).toBe('Can read and modify resources');
      expect(await described(readOnly)).toBe('Can only retrieve data');

      await dialog.getByLabel('Token name').fill('BI dashboard');
      await readOnly.check();
      await dialog.getByLabel('Expiration date').fill('2030-06-15');
      await expectNoAxeViolations(page);
      await screenshot(page, 'console-add-token.png');
      await button(dialog, 'Create token').click();

      const secretDialog = page.getByRole('dialog', { name: 'Copy the new secret' });
      await secretDialog.waitFor({ timeout: WAIT });
      const secret = await secretDialog.getByLabel('Secret').inputValue();
      expect(secret).toMatch(/^sgp_[0-9A-Za-z]{36}$/);
      expect(await secretDialog.innerText()).toContain('this secret will not be shown again');
      await button(secretDialog, 'Copy').click();
      await secretDialog.getByText('Copied to the clipboard.').waitFor({ timeout: WAIT });
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
      await screenshot(page, 'console-secret.png');

      // As chosen, through the API; the secret works, read-only.
      const created = await tokenNamed('BI dashboard');
      expect(created).toMatchObject({
        permission: 'READ_ONLY',
        status: 'ACTIVE',
        expiresAt: '2030-06-15T23:59:59.999Z',
      });
      expect(secret.slice(0, 12)).toBe(created.prefix);
      const asCreated = app.client(secret);
      expect(await asCreated.data('{ viewer { permission } }')).toEqual({
        viewer: { permission: 'READ_ONLY' },
      });
      const refused = await asCreated.request(
        'mutation { createBoard(input: { name: "x" }) { id } }',
      );
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      // Closed, the secret is gone from the page; focus is back on Add token.
      await button(secretDialog, 'Done').click();
      await secretDialog.waitFor({ state: 'hidden', timeout: WAIT });
      await row(page, 'BI dashboard').waitFor({ timeout: WAIT });
      expect(await page.content()).not.toContain(secret);
      expect(
        await page.evaluate<string[]>(
          '[...document.querySelectorAll("input")].map((i) => i.value)',
        ),
      ).not.toContain(secret);
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Add token');
      expect(await cellText(page, 'BI dashboard', 1)).toBe('Read-only');
      expect(await cellText(page, 'BI dashboard', 3)).toBe('2030-06-15 23:59');

      await expectNothingStored(opened, app.identities.full.secret);
      await page.setViewportSize(PHONE);
      await screenshot(page, 'console-phone.png');
      await button(page, 'Add token').click();
      await dialog.waitFor({ timeout: WAIT });
      await page.screenshot({ path: join(ARTIFACTS, 'console-add-token-phone.png') });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden', timeout: WAIT });
    },
  );

  it(
    'deactivates and activates, rotates with a grace period, and revokes after a confirmation',
    async () => {
      const bot = await app.createToken('ci-bot', TokenPermission.FULL_ACCESS);
      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, app.identities.full.secret);
      const botRow = row(page, 'ci-bot');

      await button(botRow, 'Deactivate').click();
      await button(botRow, 'Activate').waitFor({ timeout: WAIT });
      expect(await cellText(page, 'ci-bot', STATUS)).toBe('Inactive');
      expect((await tokenNamed('ci-bot')).status).toBe('INACTIVE');
      const inactive = await app.client(bot.secret).request('{ viewer { permission } }');
      expect([inactive.status, inactive.errors?.[0]?.extensions?.reason]).toEqual([
        401,
        'INACTIVE',
      ]);
      // Focus stays where the person was: on the row's toggle.
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Activate');

      await button(botRow, 'Activate').click();
      await button(botRow, 'Deactivate').waitFor({ timeout: WAIT });
      expect((await tokenNamed('ci-bot')).status).toBe('ACTIVE');
      expect((await app.client(bot.secret).request('{ viewer { permission } }')).status).toBe(200);

      // The permission, both ways, one click each.
      await button(botRow, 'Switch to read-only').click();
      await button(botRow, 'Switch to full access').waitFor({ timeout: WAIT });
      expect((await tokenNamed('ci-bot')).permission).toBe('READ_ONLY');
      await button(botRow, 'Switch to full access').click();
      await button(botRow, 'Switch to read-only').waitFor({ timeout: WAIT });
      expect((await tokenNamed('ci-bot')).permission).toBe('FULL_ACCESS');

      // The expiration: set, then removed.
      await button(botRow, 'Set expiration').click();
      const expiry = page.getByRole('dialog', { name: 'Set expiration' });
      await expiry.getByLabel('Expiration date').fill('2031-01-31');
      await button(expiry, 'Save expiration').click();
      await expiry.waitFor({ state: 'hidden', timeout: WAIT });
      await eventually(
        () => cellText(page, 'ci-bot', 3),
        (shown) => expect(shown).toBe('2031-01-31 23:59'),
      );
      expect((await tokenNamed('ci-bot')).expiresAt).toBe('2031-01-31T23:59:59.999Z');
      await button(botRow, 'Set expiration').click();
      expect(await expiry.getByLabel('Expiration date').inputValue()).toBe('2031-01-31');
      await button(expiry, 'Remove expiration').click();
      await eventually(
        () => cellText(page, 'ci-bot', 3),
        (shown) => expect(shown).toBe('Does not expire'),
      );
      expect((await tokenNamed('ci-bot')).expiresAt).toBeNull();

      await button(botRow, 'Rotate').click();
      const rotate = page.getByRole('dialog', { name: 'Rotate ci-bot' });
      await rotate.getByLabel('Grace period (minutes)').fill('5');
      await button(rotate, 'Rotate').click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy the new secret' });
      const rotated = await eventually(
        () => secretDialog.getByLabel('Secret').inputValue({ timeout: WAIT }),
        (value) => expect(value).toMatch(/^sgp_/),
      );
      expect(rotated).not.toBe(bot.secret);
      await button(secretDialog, 'Done').click();
      const afterRotation = await tokenNamed('ci-bot');
      expect(afterRotation.prefix).toBe(rotated.slice(0, 12));
      await eventually(
        () => cellText(page, 'ci-bot', 0),
        (prefix) => expect(prefix).toBe(afterRotation.prefix),
      );
      // The new secret works, and the old one still does for the grace period.
      expect((await app.client(rotated).request('{ viewer { permission } }')).status).toBe(200);
      expect((await app.client(bot.secret).request('{ viewer { permission } }')).status).toBe(200);

      // Revoke asks first; Cancel changes nothing.
      await button(botRow, 'Revoke').click();
      const confirm = page.getByRole('dialog', { name: 'Revoke ci-bot?' });
      await confirm.waitFor({ timeout: WAIT });
      expect(await confirm.innerText()).toContain('Revocation is permanent');
      await button(confirm, 'Cancel').click();
      await confirm.waitFor({ state: 'hidden', timeout: WAIT });
      expect((await tokenNamed('ci-bot')).status).toBe('ACTIVE');

      await button(botRow, 'Revoke').click();
      await button(confirm, 'Revoke').click();
      await confirm.waitFor({ state: 'hidden', timeout: WAIT });
      await eventually(
        () => cellText(page, 'ci-bot', STATUS),
        (status) => expect(status).toBe('Revoked'),
      );
      expect(await botRow.getByRole('button').count()).toBe(0);
      expect((await tokenNamed('ci-bot')).status).toBe('REVOKED');
      const revoked = await app.client(rotated).request('{ viewer { permission } }');
      expect([revoked.status, revoked.errors?.[0]?.extensions?.reason]).toEqual([401, 'REVOKED']);

      // The audit log, newest first, shows what the console did, with this session's token.
      const actions = await page
        .getByRole('table', { name: 'Audit log' })
        .locator('tbody tr td:nth-child(2)')
        .allInnerTexts();
      expect(actions).toEqual([
        'revokeApiToken',
        'rotateApiToken',
        'updateApiToken',
        'updateApiToken',
        'updateApiToken',
        'updateApiToken',
        'activateApiToken',
        'deactivateApiToken',
        'test.setup', // the organization's creation, by the test's set-up
      ]);
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  onPage(
    'shows the lock-out guard’s refusal, as the API words it, for the last full-access token',
    async (opened) => {
      const { page } = opened;
      await signIn(page, app.identities.full.secret);
      const name = app.identities.full.token.name;
      const own = row(page, name);

      // The page does not second-guess the API: Revoke is there and asks; the API refuses.
      await button(own, 'Revoke').click();
      const confirm = page.getByRole('dialog', { name: `Revoke ${name}?` });
      await button(confirm, 'Revoke').click();
      const alert = confirm.getByRole('alert');
      const shown = await eventually(
        () => alert.innerText(),
        (text) => expect(text).toContain('last usable full-access token'),
      );
      await button(confirm, 'Cancel').click();

      await button(own, 'Deactivate').click();
      const problem = page.locator('#problem');
      const shownForDeactivate = await eventually(
        () => problem.innerText(),
        (text) => expect(text).toContain('last usable full-access token'),
      );

      expect((await tokenNamed(name)).status).toBe('ACTIVE');
      // Word for word what the API answers a script (the refusals change nothing).
      const api = await app
        .asFullAccess()
        .request('mutation ($id: ID!) { revokeApiToken(id: $id) { id } }', {
          id: app.identities.full.token.id,
        });
      expect(api.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(shown).toBe(api.errors?.[0]?.message);
      expect(shownForDeactivate).toBe(
        api.errors?.[0]?.message.replace('cannot be revoked', 'cannot be deactivated'),
      );
    },
  );

  it(
    'reviews the tokens the API suggests to make read-only and switches one in one click',
    async () => {
      // Qualifies: full access, older than 30 days, no mutation in the last 30 days.
      await app.createToken('nightly-report', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(Date.now() - 40 * DAY),
      });
      // Does not: it made a change 3 days ago.
      await app.createToken('deploy-bot', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(Date.now() - 40 * DAY),
        lastWriteAt: new Date(Date.now() - 3 * DAY),
      });
      expect((await tokenNamed('nightly-report')).suggestedPermission).toBe('READ_ONLY');

      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, app.identities.full.secret);
      const reviewList = page.getByRole('list', { name: 'Review' });
      const items = reviewList.getByRole('listitem');
      await items.first().waitFor({ timeout: WAIT });
      expect(await items.count()).toBe(1);
      const item = items.first();
      expect(await item.innerText()).toContain('nightly-report');
      expect(await item.innerText()).toContain(
        'no change has been made with it in the last 30 days',
      );

      await screenshot(page, 'console-review.png');
      await button(item, 'Switch to read-only').click();
      await page.getByText('Nothing to review', { exact: false }).waitFor({ timeout: WAIT });
      expect(await tokenNamed('nightly-report')).toMatchObject({
        permission: 'READ_ONLY',
        suggestedPermission: 'READ_ONLY',
      });
      expect((await tokenNamed('deploy-bot')).permission).toBe('FULL_ACCESS');
      expect(await cellText(page, 'nightly-report', 1)).toBe('Read-only');
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  it(
    'signed in with a READ_ONLY token: everything readable, no enabled control that changes anything',
    async () => {
      await app.createToken('nightly-report', TokenPermission.FULL_ACCESS, {
        createdAt: new Date(Date.now() - 40 * DAY),
      });
      // A denied attempt, for the audit log.
      await app.asReadOnly().request('mutation { createBoard(input: { name: "x" }) { id } }');

      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, app.identities.readOnly.secret);
      await row(page, 'nightly-report').waitFor({ timeout: WAIT });
      await page.getByRole('list', { name: 'Review' }).waitFor({ timeout: WAIT });
      const notice = page.getByText('You are signed in with a read-only token');
      expect(await notice.innerText()).toContain('needs a full-access token');

      const buttons = await page.getByRole('button').evaluateAll((list) =>
        list.map((b) => ({
          name: (b.textContent ?? '').trim(),
          disabled: (b as unknown as { disabled: boolean }).disabled,
          describedBy: b.getAttribute('aria-describedby'),
        })),
      );
      const enabled = buttons.filter((b) => !b.disabled).map((b) => b.name);
      expect([...new Set(enabled)].sort()).toEqual(['Apply filters', 'Clear filters', 'Sign out']);
      const disabled = buttons.filter((b) => b.disabled);
      expect(new Set(disabled.map((b) => b.name))).toEqual(
        new Set([
          'Activate', // the set-up's inactive token
          'Add token',
          'Deactivate',
          'Switch to read-only',
          'Switch to full access',
          'Set expiration',
          'Rotate',
          'Revoke',
        ]),
      );
      // Each says why: it points at the notice.
      expect(disabled.every((b) => b.describedBy === 'read-only-notice')).toBe(true);

      // Readable: the tokens, the review and the audit log with the denied attempt marked; where
      // tokens were used from is not shown (full access only), and no FORBIDDEN reached the page.
      expect(await cellText(page, 'read-only', 4)).not.toContain('from');
      const audit = page.getByRole('table', { name: 'Audit log' });
      expect(await audit.locator('tbody tr').first().innerText()).toMatch(/createBoard\s+Denied/);
      expect(await page.locator('#problem').innerText()).toBe('');
      expect(await page.content()).not.toContain(READ_ONLY_MESSAGE);
      await expectNoAxeViolations(page);
      await page.setViewportSize(PHONE);
      await screenshot(page, 'console-read-only-phone.png');
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  it(
    'shows names and user agents as text and runs nothing in them',
    async () => {
      const name = '<img src=x onerror="window.__pwned = 1">';
      const agent = '<script>window.__pwned = 2</script><b>bold</b>';
      const planted = await app.createToken(name, TokenPermission.READ_ONLY);
      await app.client(planted.secret).request('{ viewer { permission } }');
      // A request with that user agent (Node's fetch sends the header as given).
      await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${planted.secret}`,
          'user-agent': agent,
        },
        body: JSON.stringify({ query: '{ viewer { permission } }' }),
      });

      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, app.identities.full.secret);
      const planted_row = row(page, name);
      await planted_row.waitFor({ timeout: WAIT });
      expect(await planted_row.getByRole('rowheader').innerText()).toBe(name);
      expect(await cellText(page, name, 4)).toContain(agent);
      await button(planted_row, 'Revoke').click();
      await page.getByRole('dialog', { name: `Revoke ${name}?` }).waitFor({ timeout: WAIT });
      await page.keyboard.press('Escape');

      expect(await page.locator('img, script:not([src]), b').count()).toBe(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(opened.requests.some((r) => new URL(r.url).pathname === '/x')).toBe(false);
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  onPage(
    'works by keyboard alone: sign in, add a token, copy the secret, close',
    async (opened) => {
      const { page } = opened;
      await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: app.url,
      });
      const focused = () =>
        page.evaluate<string>('document.activeElement.id || document.activeElement.textContent');
      expect(await focused()).toBe('sign-in-token');
      await page.keyboard.type(app.identities.full.secret);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Tokens', exact: true }).waitFor({ timeout: WAIT });
      await eventually(focused, (id) => expect(id).toBe('tokens-title'));

      await page.keyboard.press('Tab');
      expect(await focused()).toBe('add-token');
      // The focus is visible.
      expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe(
        'none',
      );
      await page.keyboard.press('Enter');
      await eventually(focused, (id) => expect(id).toBe('add-name'));
      await page.keyboard.type('keyboard-made');
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('add-full');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('add-read-only');
      // On to Create token, past the date's fields.
      for (let i = 0; i < 10 && (await focused()) !== 'Create token'; i += 1) {
        await page.keyboard.press('Tab');
      }
      expect(await focused()).toBe('Create token');
      await page.keyboard.press('Enter');
      await eventually(focused, (id) => expect(id).toBe('secret-copy'));
      await page.keyboard.press('Enter');
      await page.getByText('Copied to the clipboard.').waitFor({ timeout: WAIT });
      const secret = String(await page.evaluate('navigator.clipboard.readText()'));
      await page.keyboard.press('Escape');
      await eventually(focused, (id) => expect(id).toBe('add-token'));

      expect(await tokenNamed('keyboard-made')).toMatchObject({
        permission: 'READ_ONLY',
        expiresAt: null,
        prefix: secret.slice(0, 12),
      });
      expect(await page.content()).not.toContain(secret);
    },
  );

  async function revoke(tokenId: string): Promise<void> {
    await app
      .asFullAccess()
      .data('mutation ($id: ID!) { revokeApiToken(id: $id) { id } }', { id: tokenId });
  }

  /** The sign-in form is back, saying "Signed out: " and the API's own words for `secret`. */
  async function expectSignedOutWithApiReason(page: Page, secret: string): Promise<void> {
    const text = await eventually(
      () => page.locator('#sign-in-error').innerText(),
      (shown) => expect(shown).toMatch(/^Signed out: /),
    );
    const api = await app.client(secret).request('{ viewer { permission } }');
    expect(text).toBe(`Signed out: ${api.errors?.[0]?.message}`);
    expect(await page.getByLabel('API token', { exact: true }).isVisible()).toBe(true);
  }

  it(
    'returns to sign-in with the API’s reason when the token stops working',
    async () => {
      const temp = await app.createToken('temporary', TokenPermission.FULL_ACCESS);
      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, temp.secret);
      await expectNothingStored(opened, temp.secret);
      await revoke(temp.token.id);

      await button(page, 'Apply filters').click();
      await expectSignedOutWithApiReason(page, temp.secret);
      await expectNothingStored(opened, null);
      // The refused request is the only 401: the browser logs it as a failed resource.
      opened.problems = opened.problems.filter((p) => !p.includes('401'));
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  /**
   * Holds, in the browser, the first request whose body holds `marker` (the operation's name)
   * until `release` is called: what happens meanwhile happens while that answer is on its way.
   */
  async function holdFirst(
    page: Page,
    marker: string,
  ): Promise<{ held: Promise<void>; release(): void }> {
    let release = () => undefined as void;
    let markHeld = () => undefined as void;
    const held = new Promise<void>((resolve) => {
      markHeld = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let taken = false;
    await page.route('**/graphql', async (route) => {
      if (!taken && route.request().postData()?.includes(marker)) {
        taken = true;
        markHeld();
        await released;
      }
      await route.continue();
    });
    return { held, release };
  }

  /** Lets the held answer in and waits until the page has handled it. */
  async function releaseAndHandled(page: Page, hold: { release(): void }, marker: string) {
    const answered = page.waitForResponse((r) => r.request().postData()?.includes(marker) ?? false);
    hold.release();
    await (await answered).finished();
    // A later round trip from the page: by its end the held answer has been handled.
    expect(await page.evaluate('fetch(location.href).then((r) => r.status)')).toBe(200);
  }

  /** The console opened and a sign-in with `secret` begun, its request holding `marker` held. */
  async function signInHolding(secret: string, marker: string) {
    const opened = await openConsole();
    const { page } = opened;
    const hold = await holdFirst(page, marker);
    await page.getByLabel('API token', { exact: true }).fill(secret);
    await button(page, 'Sign in').click();
    await hold.held;
    return { opened, page, hold };
  }

  const FIRST_PAGE = 'query Console(';
  const TOKEN_CHECK = 'query ConsoleViewer';

  it(
    'signs out with the API’s reason when the token is revoked while the page first loads',
    async () => {
      const temp = await app.createToken('temporary', TokenPermission.FULL_ACCESS);
      const { opened, page, hold: firstPage } = await signInHolding(temp.secret, FIRST_PAGE);
      await revoke(temp.token.id);
      firstPage.release();

      await expectSignedOutWithApiReason(page, temp.secret);
      expect(await page.locator('#console').isVisible()).toBe(false);
      await expectNothingStored(opened, null);
    },
    TEST_TIMEOUT,
  );

  it(
    'drops an answer that comes back after the person signed out',
    async () => {
      const {
        opened,
        page,
        hold: firstPage,
      } = await signInHolding(app.identities.full.secret, FIRST_PAGE);
      await button(page, 'Sign out').click();
      const error = page.locator('#sign-in-error');
      await eventually(
        () => error.innerText(),
        (shown) => expect(shown).toBe('Signed out. The token is forgotten in this tab.'),
      );
      // The held answer arrives (a 200) and changes nothing: the page stays signed out, saying why.
      await releaseAndHandled(page, firstPage, FIRST_PAGE);
      expect(await error.innerText()).toBe('Signed out. The token is forgotten in this tab.');
      expect(await page.locator('#console').isVisible()).toBe(false);
      expect(await page.locator('#tokens').innerText()).toBe('');
      await expectNothingStored(opened, null);
    },
    TEST_TIMEOUT,
  );

  it(
    'a late refusal of an ended session leaves the next session alone (review)',
    async () => {
      const temp = await app.createToken('temporary', TokenPermission.FULL_ACCESS);
      const { opened, page, hold: firstPage } = await signInHolding(temp.secret, FIRST_PAGE);
      await revoke(temp.token.id);
      await button(page, 'Sign out').click();
      await signIn(page, app.identities.full.secret);
      await row(page, 'temporary').waitFor({ timeout: WAIT });

      // The ended session's first page comes back 401: not this session's refusal.
      await releaseAndHandled(page, firstPage, FIRST_PAGE);
      expect(await page.locator('#console').isVisible()).toBe(true);
      expect(await page.locator('#problem').innerText()).toBe('');
      await expectNothingStored(opened, app.identities.full.secret);
    },
    TEST_TIMEOUT,
  );

  it(
    'a late answer to an earlier sign-in leaves the newer session alone (review)',
    async () => {
      const temp = await app.createToken('temporary', TokenPermission.FULL_ACCESS);
      const { opened, page, hold: check } = await signInHolding(temp.secret, TOKEN_CHECK);
      await revoke(temp.token.id);
      // The form is still there while the first token is checked: another sign-in goes first.
      await signIn(page, app.identities.full.secret);
      await row(page, 'temporary').waitFor({ timeout: WAIT });

      await releaseAndHandled(page, check, TOKEN_CHECK);
      expect(await page.locator('#console').isVisible()).toBe(true);
      expect(await page.locator('#sign-in-error').innerText()).toBe('');
      await expectNothingStored(opened, app.identities.full.secret);
    },
    TEST_TIMEOUT,
  );

  it(
    'links the playground and the console both ways',
    async () => {
      const opened = await chromium.open({ width: 1400, height: 900 });
      const { page } = opened;
      // Leaving before the editor's three workers have loaded would abort them.
      const workersLoaded: string[] = [];
      page.on('requestfinished', (request) => {
        if (request.url().includes('/monacoeditorwork/')) {
          workersLoaded.push(request.url());
        }
      });
      const untilWorkers = (count: number) =>
        eventually(
          async () => workersLoaded.length,
          (n) => expect(n).toBeGreaterThanOrEqual(count),
        );
      await page.goto(`${app.url}/graphql`, { timeout: WAIT });
      await untilWorkers(3);
      await page.getByRole('link', { name: 'Manage API tokens in the token console' }).click();
      await page.getByLabel('API token', { exact: true }).waitFor({ timeout: WAIT });
      expect(new URL(page.url()).pathname).toBe('/console');
      // Leaving before the console's modules have loaded would abort them: the form is static
      // HTML, there before them; the load event comes after every module script.
      await page.waitForLoadState('load', { timeout: WAIT });
      await page.getByRole('link', { name: 'GraphQL playground' }).click();
      await page.locator('.graphiql-query-editor').waitFor({ timeout: WAIT });
      expect(new URL(page.url()).pathname).toBe('/graphql');
      await untilWorkers(6);
      await screenshot(page, 'playground-with-console-link.png');
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  onPage(
    'carries on with the new secret after rotating its own token, the old one stopping at once',
    async (opened) => {
      const { page } = opened;
      const name = app.identities.full.token.name;
      await signIn(page, app.identities.full.secret);
      await button(row(page, name), 'Rotate').click();
      const rotate = page.getByRole('dialog', { name: `Rotate ${name}` });
      await button(rotate, 'Rotate').click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy the new secret' });
      const rotated = await eventually(
        () => secretDialog.getByLabel('Secret').inputValue({ timeout: WAIT }),
        (value) => expect(value).toMatch(/^sgp_/),
      );
      await button(secretDialog, 'Done').click();
      const old = await app.asFullAccess().request('{ viewer { permission } }');
      expect(old.status).toBe(401);
      // Still signed in: the next request goes with the new secret, the only one kept.
      await button(page, 'Apply filters').click();
      await eventually(
        () =>
          page.getByRole('table', { name: 'Audit log' }).locator('tbody tr').first().innerText(),
        (text) => expect(text).toContain('rotateApiToken'),
      );
      expect(await page.locator('#sign-in').isVisible()).toBe(false);
      await expectNothingStored(opened, rotated);
      // A reload keeps the tab's session, with the new secret. Once the page's requests are
      // answered: a reload aborts any still in flight (net::ERR_ABORTED, a problem to the check).
      await eventually(
        async () => opened.inFlight,
        (inFlight) => expect(inFlight).toBe(0),
      );
      await page.reload();
      await row(page, name).waitFor({ timeout: WAIT });
      expect(await page.locator('#who-text').innerText()).toContain(rotated.slice(0, 12));
    },
  );

  it(
    'says when to try again after a 429',
    async () => {
      await app.close();
      // A budget that refills at 1 point a second on a clock that stands still.
      app = await TestApp.start({
        limits: { costBucketSize: 1_000_000, costRestoreRate: 1, authFailuresPerMinute: 1_000 },
        clock: new ManualClock(),
      });
      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, app.identities.full.secret);
      // Another request of the same token holds what is left (a long export, say).
      // Once the page's requests have all been answered (and settled): the reservation below
      // must not be followed by a late refund.
      await page.waitForLoadState('networkidle', { timeout: WAIT });
      const budget = app.services.costBudget;
      const tokenId = app.identities.full.token.id;
      await budget.reserve(tokenId, Math.floor(await budget.available(tokenId)));
      await button(page, 'Apply filters').click(); // one too many
      const problem = await eventually(
        () => page.locator('#problem').innerText(),
        (text) => expect(text).toMatch(/^Too many requests\. Try again in \d+ seconds? \(after /),
      );
      const api = await app.asFullAccess().request('{ viewer { permission } }');
      expect(api.status).toBe(429);
      // The API's own words for the console's request, with its Retry-After in the sentence.
      const [, wait, cost] =
        /^Too many requests\. Try again in (\d+) seconds? \(after [^)]*\)\. (?:.*)estimated cost is (\d+) points/.exec(
          problem,
        ) ?? [];
      expect({ wait, cost }).toEqual({ wait: expect.stringMatching(/^\d+$/), cost: wait });
      expect(problem).toContain(`this token has 0 left; retry after ${wait} s, when it fits.`);
      expect(api.errors?.[0]?.message).toContain('this token has 0 left');
      expect(await page.locator('#sign-in').isVisible()).toBe(false);
      opened.problems = opened.problems.filter((p) => !p.includes('429'));
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );

  it(
    'pages the audit log and filters it with the API’s filters',
    async () => {
      for (let i = 0; i < 22; i += 1) {
        await app.asReadOnly().request('mutation { createBoard(input: { name: "x" }) { id } }');
      }
      await app.createToken('other', TokenPermission.FULL_ACCESS);
      const opened = await openConsole();
      const { page } = opened;
      await signIn(page, app.identities.full.secret);
      const rows = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr');
      await eventually(
        () => rows.count(),
        (n) => expect(n).toBe(20),
      );
      await button(page, 'Load more').click();
      await eventually(
        () => rows.count(),
        (n) => expect(n).toBe(23), // and the organization's creation
      );
      expect(await button(page, 'Load more').isVisible()).toBe(false);

      await page.getByLabel('Outcome').selectOption('DENIED');
      await page
        .getByLabel('Token', { exact: true })
        .selectOption({ label: `read-only (${app.identities.readOnly.token.prefix})` });
      await button(page, 'Apply filters').click();
      await eventually(
        () => rows.allInnerTexts(),
        (texts) => {
          expect(texts).toHaveLength(20);
          expect(texts.every((t) => t.includes('Denied') && t.includes('read-only'))).toBe(true);
        },
      );
      await page.getByLabel('Action').fill('revokeApiToken');
      await button(page, 'Apply filters').click();
      await page.getByText('No events match.').waitFor({ timeout: WAIT });
      expectOnlyThisServer(opened, app.url);
    },
    TEST_TIMEOUT,
  );
  describe('board-scoped tokens (API.md section 11)', () => {
    const BOARDS_COLUMN = 6; // Prefix, Permission, Status, Expires, Last used, Created, Boards
    const board = async (name: string) =>
      (
        await app.data<{ createBoard: { id: string } }>(
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name },
        )
      ).createBoard.id;

    it(
      'shows each token’s boards, and Add token limits a new token to the boards checked',
      async () => {
        const payments = await board('Payments');
        await board('Search');
        await scopedToken(app, 'payments-bot', TokenPermission.FULL_ACCESS, [payments]);
        const opened = await openConsole();
        const { page } = opened;
        await signIn(page, app.identities.full.secret);
        await row(page, 'payments-bot').waitFor({ timeout: WAIT });
        expect(await cellText(page, 'payments-bot', BOARDS_COLUMN)).toBe('Payments');
        expect(await cellText(page, app.identities.full.token.name, BOARDS_COLUMN)).toBe(
          'All boards',
        );

        await button(page, 'Add token').click();
        const dialog = page.getByRole('dialog', { name: 'Add token' });
        await dialog.waitFor({ timeout: WAIT });
        const boards = dialog.getByRole('group', { name: 'Boards' });
        expect(await boards.getByRole('checkbox').count()).toBe(2);
        await dialog.getByLabel('Token name').fill('Payments BI');
        await dialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
        await boards.getByRole('checkbox', { name: 'Payments', exact: true }).check();
        await expectNoAxeViolations(page);
        await button(dialog, 'Create token').click();
        const secretDialog = page.getByRole('dialog', { name: 'Copy the new secret' });
        await secretDialog.waitFor({ timeout: WAIT });
        const secret = await secretDialog.getByLabel('Secret').inputValue();
        await button(secretDialog, 'Done').click();
        await row(page, 'Payments BI').waitFor({ timeout: WAIT });
        expect(await cellText(page, 'Payments BI', BOARDS_COLUMN)).toBe('Payments');

        // Through the API: limited to Payments, and it sees only that board.
        const seen = await app.client(secret).data<{
          viewer: { token: { boards: { id: string }[] } };
          boards: { nodes: { id: string }[] };
        }>('{ viewer { token { boards { id } } } boards { nodes { id } } }');
        expect(seen).toEqual({
          viewer: { token: { boards: [{ id: payments }] } },
          boards: { nodes: [{ id: payments }] },
        });

        // None checked: every board, as before.
        await button(page, 'Add token').click();
        await dialog.waitFor({ timeout: WAIT });
        await dialog.getByLabel('Token name').fill('Everything BI');
        await dialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
        await button(dialog, 'Create token').click();
        await secretDialog.waitFor({ timeout: WAIT });
        await button(secretDialog, 'Done').click();
        await row(page, 'Everything BI').waitFor({ timeout: WAIT });
        expect(await cellText(page, 'Everything BI', BOARDS_COLUMN)).toBe('All boards');
        expectOnlyThisServer(opened, app.url);
      },
      TEST_TIMEOUT,
    );

    it(
      'a scoped token sees which boards it is limited to, and that token management needs an organization-wide token',
      async () => {
        const payments = await board('Payments');
        const search = await board('Search');
        const scoped = await scopedToken(app, 'payments-bot', TokenPermission.FULL_ACCESS, [
          search,
          payments,
        ]);
        const opened = await openConsole();
        const { page } = opened;
        const answers: string[] = [];
        page.on('response', (response) => {
          if (response.url().endsWith('/graphql') && response.request().method() === 'POST') {
            void response.text().then((text) => answers.push(text));
          }
        });
        await page.getByLabel('API token', { exact: true }).fill(scoped.secret);
        await button(page, 'Sign in').click();
        const notice = page.getByRole('region', { name: 'Boards of this token' });
        await notice.waitFor({ timeout: WAIT });
        await eventually(
          () => page.evaluate<string>('document.activeElement.id'),
          (id) => expect(id).toBe('scope-title'),
        );
        expect(await notice.getByRole('listitem').allInnerTexts()).toEqual(['Payments', 'Search']);
        expect(await notice.innerText()).toContain(
          'Managing tokens and reading the audit log need an organization-wide token',
        );
        expect(await page.getByText('limited to some boards').count()).toBe(1);
        // No token list, audit log or control that could only fail; no error shown.
        expect(await page.getByRole('table').count()).toBe(0);
        for (const name of ['Add token', 'Revoke', 'Rotate', 'Deactivate', 'Switch to read-only']) {
          expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
        }
        expect(await page.locator('#problem').innerText()).toBe('');
        await eventually(
          () => Promise.resolve(answers.length),
          (n) => expect(n).toBeGreaterThan(0),
        );
        for (const answer of answers) {
          expect(JSON.parse(answer)).not.toHaveProperty('errors');
        }
        await expectNoAxeViolations(page);

        // Its boards deleted, it is told it sees nothing, never everything.
        for (const id of [payments, search]) {
          await app.data('mutation($id: ID!) { deleteBoard(id: $id) }', { id });
        }
        await button(page, 'Sign out').click();
        await page.getByLabel('API token', { exact: true }).fill(scoped.secret);
        await button(page, 'Sign in').click();
        await notice
          .getByText('Every board it was limited to has been deleted: it sees nothing.')
          .waitFor({ timeout: WAIT });

        // An organization-wide token signing in next gets the whole page back.
        await button(page, 'Sign out').click();
        await signIn(page, app.identities.full.secret);
        await row(page, 'payments-bot').waitFor({ timeout: WAIT });
        expect(await notice.isHidden()).toBe(true);
        expect(await cellText(page, 'payments-bot', BOARDS_COLUMN)).toBe(
          'None left (its boards were deleted)',
        );
        expectOnlyThisServer(opened, app.url);
      },
      TEST_TIMEOUT,
    );
  });
});
