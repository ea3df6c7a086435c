// The token the person pasted lives in this tab only: sessionStorage (never localStorage, which
// every tab and the playground on this origin share), cleared on sign-out.

const KEY = 'statusgraph.console.token';

export const session = {
  secret(): string | null {
    return sessionStorage.getItem(KEY);
  },
  keep(secret: string): void {
    sessionStorage.setItem(KEY, secret);
  },
  forget(): void {
    sessionStorage.removeItem(KEY);
  },
};
