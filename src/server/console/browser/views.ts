// The three parts of the signed-in page: the token table, the review, the audit log. Each is
// rendered whole from the API's answer; the controls call back into main.ts.

import { h, time } from './dom.js';
import type { AuditEvent, Permission, Status, Token } from './queries.js';

export const PERMISSION: Record<Permission, string> = {
  FULL_ACCESS: 'Full access',
  READ_ONLY: 'Read-only',
};
const STATUS: Record<Status, string> = {
  ACTIVE: 'Active',
  INACTIVE: 'Inactive',
  EXPIRED: 'Expired',
  REVOKED: 'Revoked',
};

export type TokenAction =
  'deactivate' | 'activate' | 'read-only' | 'full-access' | 'expiration' | 'rotate' | 'revoke';

export interface ViewOptions {
  /** False for a read-only session: every control that changes something is disabled. */
  canChange: boolean;
  /** The id of the element that says why controls are disabled. */
  whyDisabled: string;
  /** The token the console is signed in with. */
  ownTokenId: string;
  onToken(action: TokenAction, token: Token, button: HTMLButtonElement): void;
}

function button(
  label: string,
  action: string,
  tokenId: string,
  options: ViewOptions,
  extraClass = '',
): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: extraClass || undefined,
      'data-action': action,
      'data-token-id': tokenId,
      disabled: !options.canChange,
      'aria-describedby': options.canChange ? undefined : options.whyDisabled,
    },
    label,
  );
}

function tokenButtons(token: Token, options: ViewOptions): HTMLElement {
  const cell = h('div', { class: 'row-actions' });
  if (token.status === 'REVOKED') {
    cell.append(h('span', { class: 'muted' }, 'Revoked: nothing left to change'));
    return cell;
  }
  const add = (label: string, action: TokenAction, extraClass = '') => {
    const b = button(label, action, token.id, options, extraClass);
    b.addEventListener('click', () => options.onToken(action, token, b));
    cell.append(b);
  };
  if (token.active) {
    add('Deactivate', 'deactivate');
  } else {
    add('Activate', 'activate');
  }
  if (token.permission === 'FULL_ACCESS') {
    add('Switch to read-only', 'read-only');
  } else {
    add('Switch to full access', 'full-access');
  }
  add('Set expiration', 'expiration');
  add('Rotate', 'rotate');
  add('Revoke', 'revoke', 'danger');
  return cell;
}

function lastUsed(token: Token): Node {
  const where = [token.lastUsedIp, token.lastUsedUserAgent].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return h(
    'div',
    {},
    time(token.lastUsedAt, 'Never'),
    where.length > 0 ? h('div', { class: 'muted small' }, `from ${where.join(' · ')}`) : null,
  );
}

/** A token's scope (API.md section 11): every board, or the boards it is limited to. */
function boardsOf(token: Token): string {
  if (token.boards === null) {
    return 'All boards';
  }
  return token.boards.length === 0
    ? 'None left (its boards were deleted)'
    : token.boards.map((board) => board.name).join(', ');
}

/** A cell with its column's name, shown beside the value when the table becomes cards (phones). */
function cell(label: string, ...content: (Node | string | null)[]): HTMLTableCellElement {
  return h('td', { 'data-label': label }, ...content);
}

/** The token table: a row per token, its controls in the row. */
export function tokenTable(tokens: Token[], options: ViewOptions): HTMLTableElement {
  const columns = [
    'Name',
    'Prefix',
    'Permission',
    'Status',
    'Expires',
    'Last used',
    'Created',
    'Boards',
    'Actions',
  ];
  const head = h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)));
  const rows = tokens.map((token) =>
    h(
      'tr',
      { 'data-token-id': token.id, class: `row-${token.status.toLowerCase()}` },
      h(
        'th',
        { scope: 'row', 'data-label': 'Name', class: 'token-name' },
        token.name,
        token.id === options.ownTokenId ? ' ' : null,
        token.id === options.ownTokenId ? h('span', { class: 'badge' }, 'this session') : null,
      ),
      cell('Prefix', h('code', {}, token.prefix)),
      cell('Permission', PERMISSION[token.permission]),
      cell(
        'Status',
        h('span', { class: `status status-${token.status.toLowerCase()}` }, STATUS[token.status]),
      ),
      cell('Expires', time(token.expiresAt, 'Does not expire')),
      cell('Last used', lastUsed(token)),
      cell('Created', time(token.createdAt, '')),
      cell('Boards', boardsOf(token)),
      cell('Actions', tokenButtons(token, options)),
    ),
  );
  return h(
    'table',
    { class: 'tokens', 'aria-labelledby': 'tokens-title' },
    h('thead', {}, head),
    h('tbody', {}, ...rows),
  );
}

/** Why the API suggests READ_ONLY for this token, in the words of API.md section 4. */
function why(token: Token): Node {
  return h(
    'p',
    { class: 'why' },
    'Full access, but no change has been made with it in the last 30 days (last change: ',
    time(token.lastWriteAt, 'never'),
    '; created ',
    time(token.createdAt, ''),
    '; last used: ',
    time(token.lastUsedAt, 'never'),
    '). If it only reads, read-only is enough.',
  );
}

/** The review: tokens whose suggestedPermission is READ_ONLY, one click each. */
export function review(tokens: Token[], options: ViewOptions): HTMLElement {
  if (tokens.length === 0) {
    return h(
      'p',
      { class: 'muted' },
      'Nothing to review: every full-access token has made a change in the last 30 days or is newer than that.',
    );
  }
  return h(
    'ul',
    { class: 'review', 'aria-labelledby': 'review-title' },
    ...tokens.map((token) => {
      const b = button('Switch to read-only', 'review-read-only', token.id, options, 'primary');
      b.addEventListener('click', () => options.onToken('read-only', token, b));
      return h(
        'li',
        { 'data-token-id': token.id },
        h(
          'div',
          {},
          h('strong', { class: 'token-name' }, token.name),
          ' ',
          h('code', {}, token.prefix),
        ),
        why(token),
        b,
      );
    }),
  );
}

/** Rows of the audit log, newest first as the API gives them; denied attempts marked. */
export function auditRows(events: AuditEvent[], showIp: boolean): HTMLTableRowElement[] {
  return events.map((event) =>
    h(
      'tr',
      { class: `outcome-${event.outcome.toLowerCase()}` },
      cell('When', time(event.at, '')),
      cell('Action', h('code', {}, event.action)),
      cell(
        'Outcome',
        h(
          'span',
          { class: `outcome outcome-${event.outcome.toLowerCase()}` },
          event.outcome === 'DENIED'
            ? 'Denied'
            : event.outcome === 'FAILED'
              ? 'Failed'
              : 'Succeeded',
        ),
      ),
      cell(
        'Token',
        event.token
          ? h('span', {}, event.token.name, ' ', h('code', {}, event.token.prefix))
          : 'command line',
      ),
      cell('Target', [event.targetType, event.targetId].filter(Boolean).join(' ') || '—'),
      showIp ? cell('From', event.ip ?? '—') : null,
    ),
  );
}

export function auditHead(showIp: boolean): HTMLTableSectionElement {
  const columns = ['When', 'Action', 'Outcome', 'Token', 'Target', ...(showIp ? ['From'] : [])];
  return h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c))));
}
