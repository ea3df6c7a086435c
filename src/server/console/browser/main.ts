// The token console: sign in with a pasted token, then the token table, the review and the audit
// log, each change one GraphQL request made with that token. See API.md section 10.

import { renderAudit, renderTokenChoice, wireAudit } from './audit-log.js';
import { begin, call, explain, full, setHooks, signedIn, type State } from './console-state.js';
import { wireDialogs } from './dialogs.js';
import { byId, fill, h } from './dom.js';
import { graphql, SignedOutError } from './graphql-client.js';
import {
  AUDIT_PAGE_SIZE,
  BOARD_PAGE_SIZE,
  CONSOLE,
  type ConsoleData,
  TOKEN_PAGE_SIZE,
  type Token,
  VIEWER,
  type Viewer,
} from './queries.js';
import { session } from './session.js';
import { onToken } from './token-actions.js';
import {
  wireAddDialog,
  wireExpiryDialog,
  wireRevokeDialog,
  wireRotateDialog,
  wireSecretDialog,
} from './token-dialogs.js';
import { PERMISSION, review, type TokenAction, tokenTable } from './views.js';

// ---- sign-in and sign-out ----------------------------------------------------------------

/** Sign-ins begun; only the latest one's answer counts (the form stays usable meanwhile). */
let signIns = 0;

async function signIn(secret: string): Promise<void> {
  const attempt = ++signIns;
  const error = byId('sign-in-error');
  fill(error);
  let viewer: Viewer;
  try {
    ({ viewer } = await graphql<{ viewer: Viewer }>(secret, VIEWER));
  } catch (e) {
    if (attempt !== signIns) {
      return;
    }
    session.forget();
    // A refused token is the answer to this form, not a session to end.
    explain(e instanceof SignedOutError ? new Error(e.message) : e, error);
    return;
  }
  if (attempt !== signIns) {
    return;
  }
  session.keep(secret);
  begin({
    secret,
    viewer,
    tokens: [],
    boards: [],
    auditFilter: {},
    audit: [],
    auditCursor: null,
  });
  byId<HTMLInputElement>('sign-in-token').value = '';
  byId('sign-in').hidden = true;
  byId('console').hidden = false;
  byId('who').hidden = false;
  try {
    await reloadPage();
  } catch (e) {
    // The session has begun: a refusal now (the token revoked meanwhile, say) ends it as any other.
    explain(e, byId('problem'));
    return;
  }
  const title = byId(viewer.token.boards === null ? 'tokens-title' : 'scope-title');
  title.setAttribute('tabindex', '-1');
  title.focus();
}

function signOut(reason: string): void {
  begin(null);
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
  fill(byId('scope-boards'));
  byId('sign-in').hidden = false;
  fill(byId('sign-in-error'), reason);
  byId('sign-in-token').focus();
}

// ---- the signed-in page ------------------------------------------------------------------

async function reloadPage(): Promise<void> {
  const current = signedIn();
  if (current.viewer.token.boards !== null) {
    // A board-scoped token: the token list, the review and the audit log are organization data
    // (API.md section 11), so the page shows what the token is limited to instead of requests
    // and buttons that could only fail.
    const { viewer } = await call<{ viewer: Viewer }>(VIEWER);
    current.viewer = viewer;
    renderScoped(viewer);
    return;
  }
  const data = await call<ConsoleData>(CONSOLE, {
    full: full(),
    audit: current.auditFilter,
    tokens: TOKEN_PAGE_SIZE,
    events: AUDIT_PAGE_SIZE,
    boards: BOARD_PAGE_SIZE,
  });
  current.viewer = data.viewer;
  current.boards = data.boards.nodes;
  current.tokens = data.apiTokens.nodes;
  current.audit = data.auditEvents.nodes;
  current.auditCursor = data.auditEvents.pageInfo.hasNextPage
    ? data.auditEvents.pageInfo.endCursor
    : null;
  render(current, data);
}

/** The heading and the session line, for either kind of session. */
function renderWho(viewer: Viewer): void {
  document.title = `API tokens of ${viewer.organization.name} · statusgraph`;
  fill(byId('org-name'), viewer.organization.name);
  fill(
    byId('who-text'),
    `Signed in with ${viewer.token.name} (${viewer.token.prefix}) · ${PERMISSION[viewer.permission]}` +
      (viewer.token.boards === null ? '' : ' · limited to some boards'),
  );
}

/** Shows or hides the organization-wide parts of the page (tokens, review, audit log). */
function showOrganizationParts(shown: boolean): void {
  for (const id of ['tokens-section', 'review-section', 'audit-section']) {
    byId(id).hidden = !shown;
  }
  byId('scope-notice').hidden = shown;
}

/** A board-scoped session: which boards the token may use, and where token management is. */
function renderScoped(viewer: Viewer): void {
  renderWho(viewer);
  showOrganizationParts(false);
  byId('read-only-notice').hidden = true;
  const boards = viewer.token.boards ?? [];
  fill(
    byId('scope-boards'),
    boards.length === 0
      ? h('p', {}, 'Every board it was limited to has been deleted: it sees nothing.')
      : h(
          'ul',
          { 'aria-labelledby': 'scope-title' },
          ...boards.map((board) => h('li', {}, board.name)),
        ),
  );
}

function render(current: State, data: ConsoleData): void {
  const canChange = full();
  const { viewer } = current;
  renderWho(viewer);
  showOrganizationParts(true);
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

// ---- start -------------------------------------------------------------------------------

function start(): void {
  setHooks({ signOut, reload: reloadPage });
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
