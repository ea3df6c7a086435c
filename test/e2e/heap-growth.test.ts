import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MODULE = join(__dirname, '..', '..', 'dist', 'src', 'core', 'heap-growth.js');

/**
 * While an export streams the server bounds how far V8's heap grows between full collections
 * (core/heap-growth.ts) by changing V8's flags after V8 has started, which Node calls undefined
 * behaviour, and starts a full collection with a `gc` it gets at run time: this shows both work
 * on the Node that runs here, in processes of their own.
 */
describe("the heap's growth between full collections", () => {
  async function node<T>(script: string, flags: string[] = []): Promise<T> {
    const { stdout } = await run(process.execPath, [...flags, '-e', script]);
    return JSON.parse(stdout) as T;
  }

  /**
   * A process keeps a live set and churns pages that each live for a while (as an export's pages
   * do: promoted, then garbage), with the bound held, or taken and let go before the churn; how
   * far the heap grew past where it stood after a full collection.
   */
  const churn = (release: boolean) =>
    node<{ grewBy: number; bounded: boolean }>(
      `
      const { getHeapStatistics } = require('node:v8');
      const { heapGrowth } = require(${JSON.stringify(MODULE)});
      (async () => {
        const unbound = heapGrowth.bound();
        if (${String(release)}) {
          unbound();
          // Let go once the collection it started has run.
          while (heapGrowth.bounded) await new Promise((next) => setTimeout(next, 5));
        }
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
        const bounded = heapGrowth.bounded;
        process.stdout.write(JSON.stringify({ grewBy: peak - start, bounded, live: live.length }));
      })();
    `,
      ['--expose-gc'],
    );

  it("is bounded while held and V8's own once let go", async () => {
    const held = await churn(false);
    const released = await churn(true);
    expect(held.bounded).toBe(true);
    expect(released.bounded).toBe(false);
    // Measured on two machines: 61–80 MiB held, 137–204 MiB let go.
    expect(held.grewBy).toBeGreaterThan(0);
    expect(held.grewBy).toBeLessThan(0.75 * released.grewBy);
  });

  it('starts a full collection (V8 runs a young one for any other options of its gc)', async () => {
    const kinds = await node<number[]>(`
      const { PerformanceObserver } = require('node:perf_hooks');
      const { v8Controls } = require(${JSON.stringify(MODULE)});
      const kinds = [];
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) kinds.push(entry.detail.kind);
      });
      observer.observe({ entryTypes: ['gc'] });
      v8Controls.collect().then(() => setTimeout(() => {
        observer.disconnect();
        process.stdout.write(JSON.stringify(kinds));
      }, 50));
    `);
    // perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR
    expect(kinds).toContain(4);
  });
});
