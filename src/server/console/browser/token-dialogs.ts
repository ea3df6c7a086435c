// The dialogs: Add token, the new secret (shown once), the expiration, Rotate, Revoke.

import { busy, dialogs, openDialog } from './dialogs.js';
import { byId, endOfLocalDay, fill, h, localDate } from './dom.js';
import {
  CREATE_TOKEN,
  type CreatedToken,
  type Permission,
  REVOKE_TOKEN,
  ROTATE_TOKEN,
  UPDATE_TOKEN,
} from './queries.js';
import { session } from './session.js';
import { call, explain, flash, reload, signedIn, subjectToken } from './console-state.js';
import { refocus } from './token-actions.js';

function showSecret(created: CreatedToken, what: string): void {
  fill(byId('secret-for'), `${what}: ${created.token.name}`);
  byId<HTMLInputElement>('secret-value').value = created.secret;
  fill(byId('secret-copied'));
  openDialog(dialogs.secret(), byId('add-token'));
}

export function wireAddDialog(): void {
  const dialog = dialogs.add();
  const form = byId<HTMLFormElement>('add-form');
  byId('add-token').addEventListener('click', () => {
    form.reset();
    byId<HTMLInputElement>('add-expires').min = localDate(new Date().toISOString());
    fillBoardChoices();
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
        const boardIds = [
          ...form.querySelectorAll<HTMLInputElement>('input[name="board"]:checked'),
        ].map((box) => box.value);
        const input = {
          name,
          permission: chosen.value as Permission,
          expiresAt: date ? endOfLocalDay(date) : null,
          // None checked: every board (the API's null); an empty list would be refused.
          boardIds: boardIds.length > 0 ? boardIds : null,
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

/** A checkbox per board of the organization: the boards a new token may be limited to. */
function fillBoardChoices(): void {
  const { boards } = signedIn();
  fill(
    byId('add-boards'),
    ...(boards.length === 0
      ? [h('p', { class: 'hint' }, 'The organization has no boards yet.')]
      : boards.map((board) => {
          const id = `add-board-${board.id}`;
          return h(
            'div',
            { class: 'choice' },
            h('input', { id, type: 'checkbox', name: 'board', value: board.id }),
            h('label', { for: id }, board.name),
          );
        })),
  );
}

export function wireSecretDialog(): void {
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

export function wireExpiryDialog(): void {
  const dialog = dialogs.expiry();
  const save = (expiresAt: string | null, done: string) =>
    busy(dialog, async () => {
      const token = subjectToken();
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

export function wireRotateDialog(): void {
  const dialog = dialogs.rotate();
  byId('rotate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = subjectToken();
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

export function wireRevokeDialog(): void {
  const dialog = dialogs.revoke();
  byId('revoke-confirm').addEventListener('click', () => {
    const token = subjectToken();
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
