import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR_VARIABLE } from './log-capture';
import { type LogRecord, describeLeaks, findLeaks } from './log-scan';

/** What the whole-suite scan found; log-capture.results-processor.js puts it in the results. */
export interface Verdict {
  lines: number;
  files: number;
  leaks: number;
  report: string;
}

/**
 * The backstop over every line of the run, once every worker has exited: lines the per-file
 * checks could not see (logged after a file's last check, or by a child process after its test
 * file ended) and hashes of secrets made in one file and logged in another. It writes its
 * verdict to the run's folder rather than throwing, since a throwing global teardown makes Jest
 * drop the JSON report; the results processor turns a leak into a failed test.
 */
export default function globalTeardown(): void {
  const dir = process.env[LOG_DIR_VARIABLE];
  if (dir === undefined) {
    return;
  }
  const names = readdirSync(dir);
  const records: LogRecord[] = [];
  const hashes: string[] = [];
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (name.startsWith('records-')) {
      for (const line of text.split('\n').filter(Boolean)) {
        records.push(JSON.parse(line) as LogRecord);
      }
    } else if (name.startsWith('hashes-')) {
      hashes.push(...text.split('\n').filter(Boolean));
    }
  }
  const leaks = findLeaks(records, hashes);
  const verdict: Verdict = {
    lines: records.length,
    files: new Set(records.map((record) => record.testPath)).size,
    leaks: leaks.length,
    report: describeLeaks(leaks),
  };
  writeFileSync(join(dir, 'verdict.json'), JSON.stringify(verdict));
}
