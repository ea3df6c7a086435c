/**
 * Where the services that count time (last-use writes, idempotency keys, the query deadline) read
 * it: the system clock in production, a clock the test moves in tests.
 */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Starts `fire` after `ms`; returns what cancels it. Tests pass a timer they fire themselves. */
export type Timer = (ms: number, fire: () => void) => () => void;

/** The system's timers; one pending never keeps the process alive. */
export const realTimer: Timer = (ms, fire) => {
  const handle = setTimeout(fire, ms);
  handle.unref();
  return () => clearTimeout(handle);
};
