import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HEAP_GROWING_PERCENT } from '../../src/core/heap-growth';

const run = promisify(execFile);
const MODULE = join(__dirname, '..', '..', 'dist', 'src', 'core', 'heap-growth.js');

/**
 * The server bounds how far V8's heap grows between full collections (core/heap-growth.ts), at
 * start-up, after V8 has started: Node calls changing V8's flags then undefined behaviour, so
 * this shows it takes effect on the Node that runs here. A process keeps a live set and churns
 * pages that each live for a while (as an export's pages do, promoted, then garbage), once with
 * the bound and once with the operator's own flag (which stands: V8's default growth).
 */
describe("the heap's growth between full collections", () => {
  const CHURN = `
    const { getHeapStatistics } = require('node:v8');
    const applied = require(${JSON.stringify(MODULE)}).boundHeapGrowth();
    const heap = () => getHeapStatistics().total_heap_size;
    const live = Array.from({ length: 200000 }, (_, i) => ({ name: 'monitor ' + i, id: i }));
    globalThis.gc();
    const start = heap();
    let pages = [];
    let peak = start;
    for (let page = 0; page < 3000; page += 1) {
      pages.push(Array.from({ length: 2000 }, (_, i) => ({ id: page + ':' + i })));
      if (pages.length > 200) pages.shift();
      peak = Math.max(peak, heap());
    }
    process.stdout.write(JSON.stringify({ applied, grewBy: peak - start, live: live.length }));
  `;

  async function churn(flags: string[]): Promise<{ applied: number | null; grewBy: number }> {
    const { stdout } = await run(process.execPath, [...flags, '--expose-gc', '-e', CHURN]);
    return JSON.parse(stdout) as { applied: number | null; grewBy: number };
  }

  it('is bounded unless the operator chose a growing factor, which then stands', async () => {
    const bounded = await churn([]);
    const operators = await churn(['--heap-growing-percent=0']);
    expect(bounded.applied).toBe(HEAP_GROWING_PERCENT);
    expect(operators.applied).toBeNull();
    // Measured here: 61–71 MiB against 137–154 MiB over three runs of each.
    expect(bounded.grewBy).toBeLessThan(0.75 * operators.grewBy);
  });
});
