import type { IncomingMessage, ServerResponse } from 'node:http';

/** Calls the next step, or with an error the error step. */
export type Next = (error?: unknown) => void;

/**
 * A step of a request's handling on Node's own request and response, in the connect shape, so
 * that Express runs it as middleware on its routes and `runSteps` on the hot path.
 */
export type HttpStep = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** What answers a step's error (four parameters, as Express recognizes an error handler). */
export type HttpErrorStep = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) => void;

/**
 * The steps one after another, each starting when the one before calls `next()`; an error,
 * passed or thrown (or a request the last step passes on), goes to `onError`, even once the
 * answer has begun (as Express passes it on). Nothing else: no routing, no change to the request
 * or response.
 */
export function runSteps(
  steps: readonly HttpStep[],
  onError: HttpErrorStep,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const fail = (error: unknown) => onError(error, req, res, () => res.destroy());
    const run = (index: number, error?: unknown): void => {
      // As Express: `next()` and `next(null)` go on; anything else is an error.
      if (error !== undefined && error !== null) {
        fail(error);
        return;
      }
      const step = steps[index];
      if (step === undefined) {
        // The last step answers; one that passes the request on is a fault, not a hang.
        fail(new Error('no step answered the request'));
        return;
      }
      try {
        step(req, res, (next?: unknown) => run(index + 1, next));
      } catch (thrown) {
        fail(thrown);
      }
    };
    run(0);
  };
}
