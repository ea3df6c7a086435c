import { CoalescedLookup } from '../../src/core/coalesced-lookup';

/** A load whose batches the test answers by hand: what was asked, and when it returns. */
function manualLoad() {
  const batches: {
    keys: string[];
    answer: (values: Record<string, number>) => void;
    fail: (error: Error) => void;
  }[] = [];
  const load = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      batches.push({
        keys,
        answer: (values) => resolve(new Map(Object.entries(values))),
        fail: reject,
      });
    });
  return { batches, load };
}

describe('coalesced look-ups', () => {
  it('starts a lone look-up at once', async () => {
    const { batches, load } = manualLoad();
    const lookup = new CoalescedLookup(load, 10);
    const value = lookup.get('a');
    expect(batches.map((b) => b.keys)).toEqual([['a']]);
    batches[0].answer({ a: 1 });
    await expect(value).resolves.toBe(1);
  });

  it('sends every key asked for while a batch is in flight in one next batch, when it returns', async () => {
    const { batches, load } = manualLoad();
    const lookup = new CoalescedLookup(load, 10);
    const first = lookup.get('a');
    const waiting = ['b', 'c', 'b', 'd'].map((key) => lookup.get(key));
    expect(batches).toHaveLength(1);
    batches[0].answer({ a: 1 });
    await expect(first).resolves.toBe(1);
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['b', 'c', 'd']]);
    batches[1].answer({ b: 2, d: 4 });
    await expect(Promise.all(waiting)).resolves.toEqual([2, undefined, 2, 4]);
    // Idle again: the next look-up starts at once.
    void lookup.get('e');
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('splits what waits into batches of at most maxBatch keys', async () => {
    const { batches, load } = manualLoad();
    const lookup = new CoalescedLookup(load, 2);
    const values = ['a', 'b', 'c', 'd'].map((key) => lookup.get(key));
    batches[0].answer({ a: 1 });
    await values[0];
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['b', 'c']]);
    batches[1].answer({ b: 2, c: 3 });
    await values[2];
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['b', 'c'], ['d']]);
    batches[2].answer({ d: 4 });
    await expect(Promise.all(values)).resolves.toEqual([1, 2, 3, 4]);
  });

  it('fails only the look-ups of a failed batch, and goes on with the next', async () => {
    const { batches, load } = manualLoad();
    const lookup = new CoalescedLookup(load, 10);
    const first = lookup.get('a');
    const second = lookup.get('b');
    batches[0].fail(new Error('database closed'));
    await expect(first).rejects.toThrow('database closed');
    batches[1].answer({ b: 2 });
    await expect(second).resolves.toBe(2);
  });
});
