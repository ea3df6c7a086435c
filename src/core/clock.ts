/**
 * Where the services that count time (last-use writes, idempotency keys, the query deadline) read
 * it: the system clock in production, a clock the test moves in tests.
 */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };
