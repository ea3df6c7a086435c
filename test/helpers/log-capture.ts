import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LogRecord, describeLeaks, findLeaks, secretsIn, sha256 } from './log-scan';

/** The folder of this run's records, made by the global setup (log-capture.global-setup.ts). */
export const LOG_DIR_VARIABLE = 'STATUSGRAPH_TEST_LOG_DIR';

type Origin = Pick<LogRecord, 'source' | 'pid' | 'command'>;

/**
 * Every log line of one test file, kept in memory for the file's own checks and appended to the
 * run's folder for the whole-suite scan: one records file and one hashes file per process (a
 * Jest worker runs one test file at a time, so nothing interleaves within a line).
 */
export class LogCapture {
  readonly records: LogRecord[] = [];
  /** SHA-256 of every secret this file's code made or used, and of every secret in a line. */
  readonly hashes = new Set<string>();
  private checked = 0;

  constructor(private readonly dir: string | undefined) {}

  /** Records one line, with the test running now (none in hooks outside a test). */
  record(origin: Origin, line: string): void {
    const state = typeof expect === 'undefined' ? undefined : expect.getState();
    const record: LogRecord = {
      testPath: state?.testPath ?? '(no test file)',
      ...(state?.currentTestName ? { testName: state.currentTestName } : {}),
      ...origin,
      line,
    };
    this.records.push(record);
    for (const secret of secretsIn(line)) {
      this.hashes.add(sha256(secret));
    }
    if (this.dir !== undefined) {
      appendFileSync(join(this.dir, `records-${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
    }
  }

  /** Records each non-blank line of `text` (a logger's write: whole lines). */
  recordLines(origin: Origin, text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() !== '') {
        this.record(origin, line);
      }
    }
  }

  /** A sink for a stream's chunks, which may end mid-line: whole lines are recorded as they end. */
  lineSink(origin: Origin): { write(chunk: string): void; end(): void } {
    let pending = '';
    return {
      write: (chunk) => {
        const text = pending + chunk;
        const lastNewline = text.lastIndexOf('\n');
        pending = text.slice(lastNewline + 1);
        this.recordLines(origin, text.slice(0, lastNewline + 1));
      },
      end: () => {
        this.recordLines(origin, pending);
        pending = '';
      },
    };
  }

  /** Notes the hash of a secret a test made or used, so that a logged hash of it is found. */
  knowHash(hash: string): void {
    if (!this.hashes.has(hash)) {
      this.hashes.add(hash);
      if (this.dir !== undefined) {
        appendFileSync(join(this.dir, `hashes-${process.pid}.txt`), `${hash}\n`);
      }
    }
  }

  knowSecret(secret: string): void {
    this.knowHash(sha256(secret));
  }

  /** Throws a report of the leaks among the lines recorded since the previous check. */
  checkNewLines(): void {
    const fresh = this.records.slice(this.checked);
    this.checked = this.records.length;
    const leaks = findLeaks(fresh, this.hashes, this.records);
    if (leaks.length > 0) {
      throw new Error(
        `${leaks.length} log line(s) hold a secret or the hash of one:\n${describeLeaks(leaks)}`,
      );
    }
  }
}

/** This test file's capture (each test file has its own module registry, hence its own). */
export const logCapture = new LogCapture(process.env[LOG_DIR_VARIABLE]);
