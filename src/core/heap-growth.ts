import { setFlagsFromString } from 'node:v8';

/**
 * How far V8's old generation may grow past what the last full collection left live before the
 * next one: 50% (a growing factor of 1.5).
 *
 * Left to itself V8 lets a small heap grow up to four times its live size between full
 * collections. A long export keeps nothing (each page is garbage once written) but, with its
 * pages spanning a young collection or two, promotes about 2 MB of them per collection; the old
 * generation then climbed from ~30 MB live to ~120 MB before the first full collection, so the
 * server's peak RSS grew with the export's length until about 100,000 rows: 157 vs 224 MiB
 * exporting 10,000 vs 1,000,000 rows; 154 vs 166 MiB with the bound
 * (`npm run bench:exports -- --rows 1000000 --rounds 0`, README's Exports). What it costs: the
 * full collections it adds, of a heap that small and marked concurrently; an export measured a
 * few percent slower against the same bench with V8's default growth.
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
