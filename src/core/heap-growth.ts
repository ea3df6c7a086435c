import { setFlagsFromString } from 'node:v8';

/**
 * How far V8's old generation may grow past what the last full collection left live before the
 * next one: 50% (a growing factor of 1.5).
 *
 * Left to itself V8 lets a small heap grow up to four times its live size between full
 * collections. A long export keeps nothing (each page is garbage once written) but, with its
 * pages spanning a young collection or two, promotes about 2 MB of them per collection; the old
 * generation then climbed from ~30 MB live to ~120 MB before the first full collection, so the
 * server's peak RSS grew with the export's length until about 100,000 rows (156 MiB exporting
 * 10,000 rows, 224 MiB exporting 300,000; `node dist/bench/exports.js --rows 300000 --rounds 0`).
 * With 50% it is 143 vs 158 MiB: what an export costs in memory no longer depends on its length.
 * The full collections it adds are of a heap that small, marked concurrently.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Applies HEAP_GROWING_PERCENT to this process, unless its operator chose a growing factor on
 * Node's command line (`node --heap-growing-percent=N`), which then stands. Returns the percent
 * applied, or null when the operator's stands. V8 reads the flag whenever it sets the next
 * collection's limit, so setting it at start-up, before the heap has grown, is enough.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): number | null {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) {
    return null;
  }
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}
