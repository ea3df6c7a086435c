// A token's own buttons: one click is one mutation (Deactivate, Activate, the permission), or
// a dialog for what needs more (the expiration, Rotate, Revoke's confirmation).

import { dialogs, openDialog, setFallbackFocus } from './dialogs.js';
import { byId, fill, localDate } from './dom.js';
import {
  ACTIVATE_TOKEN,
  DEACTIVATE_TOKEN,
  type Permission,
  type Token,
  UPDATE_TOKEN,
} from './queries.js';
import { about, call, explain, flash, reload } from './console-state.js';
import { PERMISSION, type TokenAction } from './views.js';

/** After a re-render, focus the same control of the same token, or the token list's heading. */
export function refocus(tokenId: string | undefined, action: string | undefined): void {
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

export async function onToken(
  action: TokenAction,
  token: Token,
  button: HTMLButtonElement,
): Promise<void> {
  fill(byId('flash'));
  fill(byId('problem'));
  about(token);
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
