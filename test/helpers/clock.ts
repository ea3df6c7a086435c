import type { Clock } from '../../src/core/clock';

/**
 * A clock the test moves: it stands still until `advance` or `set`. Services that poll it (the
 * idempotency wait) can be followed by `read`, which resolves once the clock has been read again.
 */
export class ManualClock implements Clock {
  private ms: number;
  private readers: (() => void)[] = [];
  /** How many times the clock was read. */
  reads = 0;

  constructor(start: Date = new Date()) {
    this.ms = start.getTime();
  }

  now(): Date {
    this.reads++;
    const waiting = this.readers;
    this.readers = [];
    waiting.forEach((wake) => wake());
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  set(at: Date): void {
    this.ms = at.getTime();
  }

  /** Resolves the next time anything reads the clock: after `times` such reads. */
  async read(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) {
      await new Promise<void>((wake) => this.readers.push(wake));
    }
  }
}
