// The signed-in session (the pasted secret, the viewer, what the page shows) and the way every
// request goes out and every refusal comes back to the person.

import { byId, fill } from './dom.js';
import { ApiError, graphql, RateLimitedError, SignedOutError } from './graphql-client.js';
import type { AuditEvent, AuditFilter, BoardRef, Token, Viewer } from './queries.js';

export interface State {
  secret: string;
  viewer: Viewer;
  tokens: Token[];
  /** The organization's boards, offered in Add token. */
  boards: BoardRef[];
  auditFilter: AuditFilter;
  audit: AuditEvent[];
  auditCursor: string | null;
}

let state: State | null = null;
/** The token a dialog is about. */
let subject: Token | null = null;
/** Hooks main.ts registers: what ends a session, what renders the page anew. */
let endSession: (reason: string) => void = () => undefined;
let renderAnew: () => Promise<void> = async () => undefined;

export function setHooks(hooks: { signOut(reason: string): void; reload(): Promise<void> }): void {
  endSession = hooks.signOut;
  renderAnew = hooks.reload;
}

export function begin(started: State | null): void {
  state = started;
}

/** The page anew from the API (the tokens, the review, the audit log's first page). */
export function reload(): Promise<void> {
  return renderAnew();
}

export function about(token: Token | null): void {
  subject = token;
}

export function subjectToken(): Token | null {
  return subject;
}

export const full = () => state?.viewer.permission === 'FULL_ACCESS';

/** Whether the session's token is limited to some boards: token management is not for it. */
export const scoped = () => (state?.viewer.token.boards ?? null) !== null;

/**
 * What `call` throws for an answer that came back after the session it was asked for ended
 * (signed out, refused, or another sign-in began): nobody is shown it, and `explain` ignores it.
 */
export class EndedSessionAnswer extends Error {}

export function signedIn(): State {
  if (!state) {
    throw new SignedOutError('Sign in with an API token first.', undefined);
  }
  return state;
}

/** One request with the session's token; its answer (or refusal) only while the session lasts. */
export async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const session = signedIn();
  const answer = await graphql<T>(session.secret, query, variables).then(
    (data) => ({ data }),
    (error: unknown) => ({ error }),
  );
  if (state !== session) {
    throw new EndedSessionAnswer('The session this answer was for has ended.');
  }
  if ('error' in answer) {
    throw answer.error;
  }
  return answer.data;
}

/**
 * The API's words for a refusal; 401 ends the session, 429 says when to try again. A refusal that
 * comes back after the session already ended changes nothing: the page says why it ended.
 */
export function explain(error: unknown, where: HTMLElement): void {
  if (error instanceof EndedSessionAnswer) {
    return;
  }
  if (error instanceof SignedOutError) {
    if (state) {
      endSession(`Signed out: ${error.message}`);
    }
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

export function flash(message: string): void {
  fill(byId('problem'));
  fill(byId('flash'), message);
}
