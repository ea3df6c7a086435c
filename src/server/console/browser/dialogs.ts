// The console's modal dialogs are native <dialog> elements opened with showModal(): the rest of
// the page is inert while one is open, Escape closes it, focus starts inside (autofocus) and is
// given back to the control that opened it.

import { byId, fill } from './dom.js';

const openers = new WeakMap<HTMLDialogElement, HTMLElement | null>();
/** Where focus goes when a dialog closes and its opener was re-rendered away. */
let fallbackFocus: () => void = () => undefined;

export function setFallbackFocus(focus: () => void): void {
  fallbackFocus = focus;
}

/** Opens a dialog, remembering what to focus once it closes. */
export function openDialog(dialog: HTMLDialogElement, from: HTMLElement | null): void {
  openers.set(dialog, from);
  for (const error of dialog.querySelectorAll<HTMLElement>('[role="alert"]')) {
    fill(error);
  }
  dialog.showModal();
}

/** Wires the close buttons of every dialog and the return of focus. */
export function wireDialogs(): void {
  for (const dialog of document.querySelectorAll('dialog')) {
    for (const close of dialog.querySelectorAll<HTMLButtonElement>('[data-close]')) {
      close.addEventListener('click', () => dialog.close());
    }
    dialog.addEventListener('close', () => {
      const back = openers.get(dialog) ?? null;
      openers.delete(dialog);
      if (document.querySelector('dialog[open]')) {
        return; // another dialog took over (the secret after Create token); it gives focus back
      }
      if (back && back.isConnected && !(back as HTMLButtonElement).disabled) {
        back.focus();
      } else {
        fallbackFocus();
      }
    });
  }
}

/** Runs `work` with the dialog's buttons disabled, so one click sends one request. */
export async function busy(dialog: HTMLDialogElement, work: () => Promise<void>): Promise<void> {
  const buttons = [...dialog.querySelectorAll('button')];
  for (const b of buttons) {
    b.disabled = true;
  }
  dialog.setAttribute('aria-busy', 'true');
  try {
    await work();
  } finally {
    for (const b of buttons) {
      b.disabled = false;
    }
    dialog.removeAttribute('aria-busy');
  }
}

export const dialogs = {
  add: () => byId<HTMLDialogElement>('add-dialog'),
  secret: () => byId<HTMLDialogElement>('secret-dialog'),
  expiry: () => byId<HTMLDialogElement>('expiry-dialog'),
  rotate: () => byId<HTMLDialogElement>('rotate-dialog'),
  revoke: () => byId<HTMLDialogElement>('revoke-dialog'),
};
