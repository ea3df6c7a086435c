import { HEAP_GROWING_PERCENT, HeapGrowth } from '../../src/core/heap-growth';

const BOUND = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
const V8_DEFAULT = '--heap-growing-percent=0';

/**
 * What reaches V8, recorded (test/e2e/heap-growth.test.ts shows V8 acting on it): the flags set,
 * the collections started, each run when the test says; and V8's full collections, told by the
 * test when it says, with when they started, on a clock the test moves.
 */
function recorded(execArgv: string[] = []) {
  const calls: string[] = [];
  const pending: { run: () => void; fail: () => void }[] = [];
  const listeners: ((startedAt: number) => void)[] = [];
  let now = 0;
  const growth = new HeapGrowth(execArgv, {
    setFlags: (flags) => calls.push(flags),
    collect: () =>
      new Promise<void>((run, fail) => {
        calls.push('collect');
        pending.push({ run, fail: () => fail(new Error('no gc')) });
      }),
    onFullCollection: (listener) => listeners.push(listener),
    now: () => now,
  });
  const settle = () => new Promise<void>((done) => setImmediate(done));
  return {
    growth,
    calls,
    collections: () => calls.filter((call) => call === 'collect').length,
    /** The collections started so far run (V8 tells of each as it ends), or fail. */
    async runCollections(outcome: 'run' | 'fail' = 'run') {
      for (const collection of pending.splice(0)) {
        const startedAt = (now += 1);
        if (outcome === 'run') {
          listeners.forEach((listener) => listener(startedAt));
          collection.run();
        } else {
          collection.fail();
        }
      }
      await settle();
    },
    /** V8 tells of a full collection of its own that started at `startedAt`. */
    fullCollection: (startedAt: number) => listeners.forEach((listener) => listener(startedAt)),
    later: () => (now += 10),
  };
}

describe('the heap growth held by streaming exports', () => {
  it('is bounded from the first holder until the last release and the collection it started', async () => {
    const { growth, calls, runCollections } = recorded();
    const first = growth.bound();
    const second = growth.bound();
    expect(calls).toEqual([BOUND, 'collect']);
    first();
    first();
    second();
    // Both let go before the collection ran: it still runs bounded.
    expect(growth.holding).toBe(0);
    expect(growth.bounded).toBe(true);
    await runCollections();
    expect(growth.bounded).toBe(false);
    expect(calls).toEqual([BOUND, 'collect', V8_DEFAULT]);
  });

  it('starts no collection for exports started and dropped in a loop, one per V8 made unbounded', async () => {
    const { growth, collections, runCollections, fullCollection, later } = recorded();
    for (let i = 0; i < 5; i += 1) {
      later();
      growth.bound()();
      await runCollections();
      later();
    }
    expect(collections()).toBe(1);
    expect(growth.bounded).toBe(false);
    // V8 collects on its own while unbounded, told only after a bound came and went.
    const unbounded = later();
    later();
    growth.bound()();
    later();
    fullCollection(unbounded);
    growth.bound()();
    expect(collections()).toBe(2);
    await runCollections();
    // One that ran unbounded, told while a bound is held: taken down at once.
    const unboundedAgain = later();
    later();
    const held = growth.bound();
    expect(collections()).toBe(2);
    fullCollection(unboundedAgain);
    expect(collections()).toBe(3);
    held();
    await runCollections();
    expect(growth.bounded).toBe(false);
  });

  it('lets go when the collection cannot run', async () => {
    const { growth, calls, runCollections } = recorded();
    growth.bound()();
    await runCollections('fail');
    expect(growth.bounded).toBe(false);
    expect(calls).toEqual([BOUND, 'collect', V8_DEFAULT]);
  });

  it.each([
    ['--heap-growing-percent=20'],
    ['--heap_growing_percent=0'],
    ['--heap-growing-percent'],
  ])("leaves the operator's %s standing", (flag) => {
    const { growth, calls } = recorded(['--enable-source-maps', flag]);
    const release = growth.bound();
    expect(growth.bounded).toBe(false);
    release();
    expect(calls).toEqual([]);
    expect(growth.percent).toBeNull();
  });
});
