import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_DIR_VARIABLE } from './log-capture';

/**
 * A fresh folder for this run's log records, named to the workers (forked after this runs, so they
 * inherit it) through the environment. A run started inside a test (Jest in Jest) gets its own.
 */
export default function globalSetup(): void {
  process.env[LOG_DIR_VARIABLE] = mkdtempSync(join(tmpdir(), 'statusgraph-test-logs-'));
}
