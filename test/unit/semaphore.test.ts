import { Semaphore } from '../../src/limits/query-concurrency';

describe('Semaphore', () => {
  it('lets `slots` holders in at once and queues the rest in arrival order', async () => {
    const semaphore = new Semaphore(2);
    const entered: number[] = [];
    const holders = [1, 2, 3, 4].map((n) => semaphore.acquire().then(() => entered.push(n)));
    await Promise.resolve();
    await Promise.resolve();
    expect(entered).toEqual([1, 2]);
    expect(semaphore.queued).toBe(2);

    semaphore.release();
    await holders[2];
    expect(entered).toEqual([1, 2, 3]);
    semaphore.release();
    await holders[3];
    expect(entered).toEqual([1, 2, 3, 4]);
    expect(semaphore.queued).toBe(0);
  });

  it('frees the slot when nobody waits, so the next holder enters at once', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    semaphore.release();
    let entered = false;
    await semaphore.acquire().then(() => (entered = true));
    expect(entered).toBe(true);
  });
});
