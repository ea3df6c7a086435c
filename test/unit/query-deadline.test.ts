import { QueryTimeoutError } from '../../src/core/errors';
import { Loaders } from '../../src/core/loaders';
import { ManualClock } from '../helpers/clock';

/**
 * The query deadline by a clock the test moves: a request's batched reads run until the clock
 * passes `stopAfter`'s limit, and the first one after it fails with QUERY_TIMEOUT and marks the
 * request stopped (the HTTP side, 503 and Retry-After, is test/api/query-timeout.test.ts).
 */
describe('the query deadline of a request’s loaders', () => {
  /** A batch that answers every key with its upper-case form, counting the batches run. */
  function loadersWithBatch() {
    const loaders = new Loaders();
    const batches: string[][] = [];
    const load = (key: string) =>
      loaders
        .get(
          'upper',
          async (keys) => {
            batches.push([...keys]);
            return new Map(keys.map((k) => [k, k.toUpperCase()]));
          },
          '',
        )
        .load(key);
    return { loaders, batches, load };
  }

  it('reads until the clock passes the limit, up to and including the last millisecond', async () => {
    const clock = new ManualClock(new Date('2026-03-01T00:00:00.000Z'));
    const { loaders, batches, load } = loadersWithBatch();
    loaders.stopAfter(1000, clock);

    expect(await Promise.all([load('a'), load('b')])).toEqual(['A', 'B']);
    clock.advance(1000);
    expect(await load('c')).toBe('C');
    expect(loaders.stopped).toBe(false);
    expect(batches).toEqual([['a', 'b'], ['c']]);
  });

  it('refuses the first batch after the limit with QUERY_TIMEOUT, and marks the request stopped', async () => {
    const clock = new ManualClock(new Date('2026-03-01T00:00:00.000Z'));
    const { loaders, batches, load } = loadersWithBatch();
    loaders.stopAfter(1000, clock);
    expect(await load('a')).toBe('A');

    clock.advance(1001);
    const refused = load('b');
    await expect(refused).rejects.toBeInstanceOf(QueryTimeoutError);
    await expect(refused).rejects.toMatchObject({
      extensions: { code: 'QUERY_TIMEOUT' },
      message: expect.stringMatching(/limit of 1 s/),
    });
    expect(loaders.stopped).toBe(true);
    // The refused batch never reached the database.
    expect(batches).toEqual([['a']]);
  });

  it('has no deadline until stopAfter (mutations never call it)', async () => {
    const { loaders, load } = loadersWithBatch();
    expect(await load('a')).toBe('A');
    expect(loaders.stopped).toBe(false);
  });

  it('tells a statement the time it has left, and what to fail with past it', () => {
    const clock = new ManualClock(new Date('2026-03-01T00:00:00.000Z'));
    const loaders = new Loaders();
    expect(loaders.remainingMs()).toBe(Infinity);
    loaders.stopAfter(1000, clock);
    clock.advance(400);
    expect(loaders.remainingMs()).toBe(600);
    clock.advance(700);
    expect(loaders.remainingMs()).toBe(0);
    expect(loaders.stopped).toBe(false);
    expect(loaders.expire()).toBeInstanceOf(QueryTimeoutError);
    expect(loaders.stopped).toBe(true);
  });
});
