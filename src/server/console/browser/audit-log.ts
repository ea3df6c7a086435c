// The audit log: newest first, the API's filters, "Load more" for the next page.

import { byId, fill, h } from './dom.js';
import {
  AUDIT_EVENTS,
  AUDIT_PAGE_SIZE,
  type AuditFilter,
  type AuditPage,
  type Outcome,
  type Token,
} from './queries.js';
import { call, explain, full, reload, signedIn, type State } from './console-state.js';
import { auditHead, auditRows } from './views.js';

export function renderTokenChoice(tokens: Token[], chosen: string | undefined): void {
  fill(
    byId('audit-token'),
    h('option', { value: '' }, 'Any'),
    ...tokens.map((t) =>
      h('option', { value: t.id, selected: t.id === chosen }, `${t.name} (${t.prefix})`),
    ),
  );
}

export function renderAudit(current: State): void {
  const table = byId<HTMLTableElement>('audit');
  fill(table, auditHead(full()), h('tbody', {}, ...auditRows(current.audit, full())));
  table.hidden = current.audit.length === 0;
  byId('audit-empty').hidden = current.audit.length > 0;
  byId('audit-more').hidden = current.auditCursor === null;
}

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

export function wireAudit(): void {
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
