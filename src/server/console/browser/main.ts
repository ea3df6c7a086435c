// The token console: sign in with a pasted token, then the token table, the review and the audit
// log, each change one GraphQL request made with that token. See API.md section 10.

import { busy, dialogs, openDialog, setFallbackFocus, wireDialogs } from './dialogs.js';
import { byId, endOfLocalDay, fill, h, localDate } from './dom.js';
import { ApiError, graphql, RateLimitedError, SignedOutError } from './graphql-client.js';
import {
  ACTIVATE_TOKEN,
  AUDIT_EVENTS,
  AUDIT_PAGE_SIZE,
  type AuditEvent,
  type AuditFilter,
  type AuditPage,
  CONSOLE,
  type ConsoleData,
  CREATE_TOKEN,
  type CreatedToken,
  DEACTIVATE_TOKEN,
  type Outcome,
  type Permission,
  REVOKE_TOKEN,
  ROTATE_TOKEN,
  TOKEN_PAGE_SIZE,
  type Token,
  UPDATE_TOKEN,
  VIEWER,
  type Viewer,
} from './queries.js';
import { session } from './session.js';
import { auditHead, auditRows, PERMISSION, review, type TokenAction, tokenTable } from './views.js';

interface State {
  secret: string;
  viewer: Viewer;
  tokens: Token[];
  auditFilter: AuditFilter;
  audit: AuditEvent[];
  auditCursor: string | null;
}

let state: State | null = null;
/** The token a dialog is about. */
let subject: Token | null = null;

const full = () => state?.viewer.permission === 'FULL_ACCESS';

function signedIn(): State {
  if (!state) {
    throw new SignedOutError('Sign in with an API token first.', undefined);
  }
  return state;
}

function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return graphql<T>(signedIn().secret, query, variables);
}

/** The API's words for a refusal; 401 ends the session, 429 says when to try again. */
function explain(error: unknown, where: HTMLElement): void {
  if (error instanceof SignedOutError) {
    signOut(`Signed out: ${error.message}`);
    return;
  }
  if (error instanceof RateLimitedError) {
    const seconds = error.retryAfterSeconds;
    const when =
      seconds === null
        ? 'Try again in a moment.'
        : `Try again in ${seconds} second${seconds === 1 ? '' : 's'} (after ${new Date(
            Date.now() + seconds * 1000,
          ).toLocaleTimeString()}).`;
    fill(where, `Too many requests. ${when} ${error.message}`);
    return;
  }
  fill(where, error instanceof ApiError || error instanceof Error ? error.message : String(error));
}

function flash(message: string): void {
  fill(byId('problem'));
  fill(byId('flash'), message);
}

// ---- sign-in and sign-out ----------------------------------------------------------------

async function signIn(secret: string): Promise<void> {
  const error = byId('sign-in-error');
  fill(error);
  try {
    const { viewer } = await graphql<{ viewer: Viewer }>(secret, VIEWER);
    session.keep(secret);
    state = { secret, viewer, tokens: [], auditFilter: {}, audit: [], auditCursor: null };
    byId<HTMLInputElement>('sign-in-token').value = '';
    byId('sign-in').hidden = true;
    byId('console').hidden = false;
    byId('who').hidden = false;
    await reload();
    byId('tokens-title').setAttribute('tabindex', '-1');
    byId('tokens-title').focus();
  } catch (e) {
    session.forget();
    // A refused token is the answer to this form, not a session to end.
    explain(e instanceof SignedOutError ? new Error(e.message) : e, error);
  }
}

function signOut(reason: string): void {
  state = null;
  session.forget();
  for (const dialog of document.querySelectorAll('dialog')) {
    dialog.close();
  }
  byId('console').hidden = true;
  byId('who').hidden = true;
  fill(byId('tokens'));
  fill(byId('review'));
  fill(byId('audit'));
  fill(byId('flash'));
  fill(byId('problem'));
  byId('sign-in').hidden = false;
  fill(byId('sign-in-error'), reason);
  byId('sign-in-token').focus();
}

// ---- the signed-in page ------------------------------------------------------------------

async function reload(): Promise<void> {
  const current = signedIn();
  const data = await call<ConsoleData>(CONSOLE, {
    full: full(),
    audit: current.auditFilter,
    tokens: TOKEN_PAGE_SIZE,
    events: AUDIT_PAGE_SIZE,
  });
  current.viewer = data.viewer;
  current.tokens = data.apiTokens.nodes;
  current.audit = data.auditEvents.nodes;
  current.auditCursor = data.auditEvents.pageInfo.hasNextPage
    ? data.auditEvents.pageInfo.endCursor
    : null;
  render(data);
}

function render(data: ConsoleData): void {
  const current = signedIn();
  const canChange = full();
  const { viewer } = current;
  document.title = `API tokens of ${viewer.organization.name} · statusgraph`;
  fill(byId('org-name'), viewer.organization.name);
  fill(
    byId('who-text'),
    `Signed in with ${viewer.token.name} (${viewer.token.prefix}) · ${PERMISSION[viewer.permission]}`,
  );
  byId('read-only-notice').hidden = canChange;
  const add = byId<HTMLButtonElement>('add-token');
  add.disabled = !canChange;
  toggleAttribute(add, 'aria-describedby', canChange ? null : 'read-only-notice');

  const options = {
    canChange,
    whyDisabled: 'read-only-notice',
    ownTokenId: viewer.token.id,
    onToken: (action: TokenAction, token: Token, button: HTMLButtonElement) =>
      void onToken(action, token, button),
  };
  fill(
    byId('tokens'),
    tokenTable(current.tokens, options),
    data.apiTokens.pageInfo.hasNextPage
      ? h('p', { class: 'muted' }, `Showing the first ${TOKEN_PAGE_SIZE} tokens.`)
      : null,
  );
  fill(byId('review'), review(data.review.nodes, options));
  renderTokenChoice(current.tokens, current.auditFilter.tokenId);
  renderAudit(current);
}

function toggleAttribute(element: HTMLElement, name: string, value: string | null): void {
  if (value === null) {
    element.removeAttribute(name);
  } else {
    element.setAttribute(name, value);
  }
}

function renderTokenChoice(tokens: Token[], chosen: string | undefined): void {
  fill(
    byId('audit-token'),
    h('option', { value: '' }, 'Any'),
    ...tokens.map((t) =>
      h('option', { value: t.id, selected: t.id === chosen }, `${t.name} (${t.prefix})`),
    ),
  );
}

function renderAudit(current: State): void {
  const table = byId<HTMLTableElement>('audit');
  fill(table, auditHead(full()), h('tbody', {}, ...auditRows(current.audit, full())));
  table.hidden = current.audit.length === 0;
  byId('audit-empty').hidden = current.audit.length > 0;
  byId('audit-more').hidden = current.auditCursor === null;
}

/** After a re-render, focus the same control of the same token, or the token list's heading. */
function refocus(tokenId: string | undefined, action: string | undefined): void {
  const same =
    tokenId && action
      ? document.querySelector<HTMLButtonElement>(
          `button[data-token-id="${CSS.escape(tokenId)}"][data-action="${CSS.escape(action)}"]`,
        )
      : null;
  const inRow = tokenId
    ? document.querySelector<HTMLButtonElement>(
        `tr[data-token-id="${CSS.escape(tokenId)}"] button:not([disabled])`,
      )
    : null;
  const target = same ?? inRow ?? byId('tokens-title');
  target.setAttribute('tabindex', target.tagName === 'BUTTON' ? '0' : '-1');
  target.focus();
}

setFallbackFocus(() => refocus(undefined, undefined));

/** One change to a token: the mutation, then the page anew, the message, focus kept in place. */
async function change(
  query: string,
  variables: Record<string, unknown>,
  done: string,
  from: HTMLButtonElement | null,
): Promise<void> {
  await call(query, variables);
  const tokenId = from?.dataset.tokenId;
  const action = from?.dataset.action;
  await reload();
  flash(done);
  if (!document.querySelector('dialog[open]')) {
    refocus(tokenId, action);
  }
}

async function onToken(
  action: TokenAction,
  token: Token,
  button: HTMLButtonElement,
): Promise<void> {
  fill(byId('flash'));
  fill(byId('problem'));
  subject = token;
  try {
    switch (action) {
      case 'deactivate':
        await change(DEACTIVATE_TOKEN, { id: token.id }, `${token.name} is deactivated.`, button);
        return;
      case 'activate':
        await change(ACTIVATE_TOKEN, { id: token.id }, `${token.name} is active again.`, button);
        return;
      case 'read-only':
      case 'full-access': {
        const permission: Permission = action === 'read-only' ? 'READ_ONLY' : 'FULL_ACCESS';
        await change(
          UPDATE_TOKEN,
          { id: token.id, input: { permission } },
          `${token.name} is now ${PERMISSION[permission].toLowerCase()}.`,
          button,
        );
        return;
      }
      case 'expiration':
        fill(byId('expiry-for'), `Token: ${token.name} (${token.prefix})`);
        byId<HTMLInputElement>('expiry-date').value = token.expiresAt
          ? localDate(token.expiresAt)
          : '';
        byId<HTMLInputElement>('expiry-date').min = localDate(new Date().toISOString());
        byId<HTMLButtonElement>('expiry-clear').hidden = token.expiresAt === null;
        openDialog(dialogs.expiry(), button);
        return;
      case 'rotate':
        fill(byId('rotate-title'), `Rotate ${token.name}`);
        byId<HTMLInputElement>('rotate-grace').value = '0';
        openDialog(dialogs.rotate(), button);
        return;
      case 'revoke':
        fill(byId('revoke-title'), `Revoke ${token.name}?`);
        openDialog(dialogs.revoke(), button);
        return;
    }
  } catch (e) {
    explain(e, byId('problem'));
  }
}

// ---- dialogs -----------------------------------------------------------------------------

function showSecret(created: CreatedToken, what: string): void {
  fill(byId('secret-for'), `${what}: ${created.token.name}`);
  byId<HTMLInputElement>('secret-value').value = created.secret;
  fill(byId('secret-copied'));
  openDialog(dialogs.secret(), byId('add-token'));
}

function wireAddDialog(): void {
  const dialog = dialogs.add();
  const form = byId<HTMLFormElement>('add-form');
  byId('add-token').addEventListener('click', () => {
    form.reset();
    byId<HTMLInputElement>('add-expires').min = localDate(new Date().toISOString());
    openDialog(dialog, byId('add-token'));
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const error = byId('add-error');
    const name = byId<HTMLInputElement>('add-name').value;
    const chosen = form.querySelector<HTMLInputElement>('input[name="permission"]:checked');
    const date = byId<HTMLInputElement>('add-expires').value;
    if (!chosen) {
      // The API has no default on purpose; the choice is the person's, so ask for it.
      fill(error, 'Choose the permissions: Full access or Read-only.');
      form.querySelector<HTMLInputElement>('input[name="permission"]')?.focus();
      return;
    }
    void busy(dialog, async () => {
      try {
        const input = {
          name,
          permission: chosen.value as Permission,
          expiresAt: date ? endOfLocalDay(date) : null,
        };
        const { createApiToken } = await call<{ createApiToken: CreatedToken }>(CREATE_TOKEN, {
          input,
        });
        dialog.close();
        showSecret(createApiToken, 'Token created');
        await reload();
        flash(`${createApiToken.token.name} is created.`);
      } catch (e) {
        explain(e, error);
      }
    });
  });
}

function wireSecretDialog(): void {
  const dialog = dialogs.secret();
  const value = byId<HTMLInputElement>('secret-value');
  byId('secret-copy').addEventListener('click', () => {
    void navigator.clipboard.writeText(value.value).then(
      () => fill(byId('secret-copied'), 'Copied to the clipboard.'),
      () => {
        value.focus();
        value.select();
        fill(
          byId('secret-copied'),
          'The browser refused the clipboard: the secret is selected, press Ctrl+C.',
        );
      },
    );
  });
  byId('secret-done').addEventListener('click', () => dialog.close());
  // The secret leaves the page with the dialog, however it closes (Done, Escape).
  dialog.addEventListener('close', () => {
    value.value = '';
    fill(byId('secret-for'));
    fill(byId('secret-copied'));
  });
}

function wireExpiryDialog(): void {
  const dialog = dialogs.expiry();
  const save = (expiresAt: string | null, done: string) =>
    busy(dialog, async () => {
      const token = subject;
      if (!token) {
        return;
      }
      try {
        await call(UPDATE_TOKEN, { id: token.id, input: { expiresAt } });
        dialog.close();
        await reload();
        flash(done.replace('%s', token.name));
        refocus(token.id, 'expiration');
      } catch (e) {
        explain(e, byId('expiry-error'));
      }
    });
  byId('expiry-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const date = byId<HTMLInputElement>('expiry-date').value;
    if (!date) {
      fill(
        byId('expiry-error'),
        'Choose a date, or Remove expiration for a token that does not expire.',
      );
      return;
    }
    void save(endOfLocalDay(date), `%s now expires at the end of ${date}.`);
  });
  byId('expiry-clear').addEventListener('click', () => void save(null, '%s no longer expires.'));
}

function wireRotateDialog(): void {
  const dialog = dialogs.rotate();
  byId('rotate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = subject;
    if (!token) {
      return;
    }
    const grace = byId<HTMLInputElement>('rotate-grace').value.trim();
    void busy(dialog, async () => {
      try {
        const { rotateApiToken } = await call<{ rotateApiToken: CreatedToken }>(ROTATE_TOKEN, {
          id: token.id,
          gracePeriodMinutes: grace === '' ? 0 : Number(grace),
        });
        const current = signedIn();
        if (token.id === current.viewer.token.id) {
          // The console's own token: its old secret stops (now or soon), so carry on with the new.
          current.secret = rotateApiToken.secret;
          session.keep(rotateApiToken.secret);
        }
        dialog.close();
        showSecret(rotateApiToken, 'Token rotated');
        await reload();
        flash(`${token.name} has a new secret.`);
      } catch (e) {
        explain(e, byId('rotate-error'));
      }
    });
  });
}

function wireRevokeDialog(): void {
  const dialog = dialogs.revoke();
  byId('revoke-confirm').addEventListener('click', () => {
    const token = subject;
    if (!token) {
      return;
    }
    void busy(dialog, async () => {
      try {
        await call(REVOKE_TOKEN, { id: token.id });
        dialog.close();
        await reload();
        flash(`${token.name} is revoked.`);
        refocus(token.id, 'revoke');
      } catch (e) {
        explain(e, byId('revoke-error'));
      }
    });
  });
}

// ---- the audit log -----------------------------------------------------------------------

function readAuditFilter(): AuditFilter {
  const filter: AuditFilter = {};
  const action = byId<HTMLInputElement>('audit-action').value.trim();
  const outcome = byId<HTMLSelectElement>('audit-outcome').value;
  const tokenId = byId<HTMLSelectElement>('audit-token').value;
  const targetId = byId<HTMLInputElement>('audit-target').value.trim();
  if (action) {
    filter.action = action;
  }
  if (outcome) {
    filter.outcome = outcome as Outcome;
  }
  if (tokenId) {
    filter.tokenId = tokenId;
  }
  if (targetId) {
    filter.targetId = targetId;
  }
  return filter;
}

function wireAudit(): void {
  const form = byId<HTMLFormElement>('audit-filter');
  const apply = async () => {
    fill(byId('problem'));
    try {
      signedIn().auditFilter = readAuditFilter();
      await reload();
    } catch (e) {
      explain(e, byId('problem'));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void apply();
  });
  byId('audit-clear').addEventListener('click', () => {
    form.reset();
    byId<HTMLSelectElement>('audit-token').value = '';
    void apply();
  });
  const more = byId<HTMLButtonElement>('audit-more');
  more.addEventListener('click', () => {
    void (async () => {
      const current = signedIn();
      try {
        const { auditEvents } = await call<{ auditEvents: AuditPage }>(AUDIT_EVENTS, {
          full: full(),
          audit: current.auditFilter,
          events: AUDIT_PAGE_SIZE,
          after: current.auditCursor,
        });
        const first = current.audit.length;
        current.audit.push(...auditEvents.nodes);
        current.auditCursor = auditEvents.pageInfo.hasNextPage
          ? auditEvents.pageInfo.endCursor
          : null;
        renderAudit(current);
        // Keep the keyboard where the new rows begin.
        const row = byId('audit').querySelectorAll('tbody tr')[first];
        if (row instanceof HTMLElement) {
          row.setAttribute('tabindex', '-1');
          row.focus();
        }
      } catch (e) {
        explain(e, byId('problem'));
      }
    })();
  });
}

// ---- start -------------------------------------------------------------------------------

function start(): void {
  wireDialogs();
  wireAddDialog();
  wireSecretDialog();
  wireExpiryDialog();
  wireRotateDialog();
  wireRevokeDialog();
  wireAudit();
  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const secret = byId<HTMLInputElement>('sign-in-token')
      .value.trim()
      .replace(/^Bearer\s+/i, '');
    if (!secret) {
      fill(byId('sign-in-error'), 'Paste an API token (it starts with sgp_).');
      return;
    }
    void signIn(secret);
  });
  byId('sign-out').addEventListener('click', () =>
    signOut('Signed out. The token is forgotten in this tab.'),
  );
  const kept = session.secret();
  if (kept) {
    void signIn(kept);
  } else {
    byId('sign-in-token').focus();
  }
}

start();
