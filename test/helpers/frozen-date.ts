/**
 * Imported first by a test file whose "now" must be one fixed instant for code that reads the
 * system time and takes no clock: from here on `Date` stands still at FROZEN_NOW (timers stay
 * real). It must come before anything that loads src/, whose entities name `Date` as a column
 * type when they load: TypeORM compares that with `Date` when it reads rows.
 */
export const FROZEN_NOW = new Date('2026-06-01T12:00:00.000Z').getTime();

jest.useFakeTimers({
  now: FROZEN_NOW,
  doNotFake: [
    'hrtime',
    'nextTick',
    'performance',
    'queueMicrotask',
    'setImmediate',
    'clearImmediate',
    'setInterval',
    'clearInterval',
    'setTimeout',
    'clearTimeout',
  ],
});
