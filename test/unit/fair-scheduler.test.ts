import { FairScheduler, QueryNotStartedError, type Timer } from '../../src/limits/fair-scheduler';

/** A timer the test fires: nothing waits for real time. */
function manualTimer() {
  const pending: { ms: number; fire: () => void; cancelled: boolean }[] = [];
  const timer: Timer = (ms, fire) => {
    const entry = { ms, fire, cancelled: false };
    pending.push(entry);
    return () => (entry.cancelled = true);
  };
  const fireAll = () => pending.filter((e) => !e.cancelled).forEach((e) => e.fire());
  return { timer, fireAll, pending };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('FairScheduler: order of service, not timing', () => {
  const settings = { slots: 1, cheapCost: 100, maxWaitMs: 30_000 };

  it('tokens take turns: one with five queries waiting gets no more turns than one with one', async () => {
    const scheduler = new FairScheduler(settings, manualTimer().timer);
    const order: string[] = [];
    const running = await scheduler.start('holder', 1000);
    const queries = [
      ...['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => ({ token: 'A', name })),
      { token: 'B', name: 'b1' },
      { token: 'C', name: 'c1' },
      { token: 'B', name: 'b2' },
    ];
    // Each query ends as soon as it starts, handing its slot on to the next in turn.
    const done = queries.map(({ token, name }) =>
      scheduler.start(token, 1000).then((end) => {
        order.push(name);
        end();
      }),
    );
    expect(scheduler.waiting).toBe(8);
    running();
    await Promise.all(done);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4', 'a5']);
  });

  it('each lane has its own number of slots: two cheap at once beside one expensive', async () => {
    const scheduler = new FairScheduler(
      { ...settings, slots: 2, expensiveSlots: 1 },
      manualTimer().timer,
    );
    const expensive = await scheduler.start('A', 5000);
    let secondExpensiveStarted = false;
    const secondExpensive = scheduler.start('B', 5000).then((end) => {
      secondExpensiveStarted = true;
      return end;
    });
    const cheap = [await scheduler.start('C', 1), await scheduler.start('D', 1)];
    let thirdCheapStarted = false;
    const thirdCheap = scheduler.start('E', 1).then((end) => {
      thirdCheapStarted = true;
      return end;
    });
    await settle();
    expect([secondExpensiveStarted, thirdCheapStarted]).toEqual([false, false]);
    expect(scheduler.waiting).toBe(2);
    expensive();
    cheap[0]();
    (await secondExpensive)();
    (await thirdCheap)();
    cheap[1]();
    expect([secondExpensiveStarted, thirdCheapStarted]).toEqual([true, true]);
  });

  it('cheap queries have a lane of their own: they start while expensive ones queue', async () => {
    const scheduler = new FairScheduler(settings, manualTimer().timer);
    const expensive = await scheduler.start('A', 5000);
    const queued = [scheduler.start('A', 5000), scheduler.start('A', 5000)];
    let queuedStarted = 0;
    queued.forEach((q) => q.then(() => queuedStarted++));
    const cheap = await scheduler.start('B', 100);
    await settle();
    expect(queuedStarted).toBe(0);
    cheap();
    const cheapAgain = await scheduler.start('C', 1);
    cheapAgain();
    expect(queuedStarted).toBe(0);
    expensive();
    (await queued[0])();
    (await queued[1])();
    expect(queuedStarted).toBe(2);
  });

  it('waiting is bounded: past maxWaitMs a queued query is refused with 503 QUERY_TIMEOUT and leaves the queue', async () => {
    const { timer, fireAll, pending } = manualTimer();
    const scheduler = new FairScheduler(settings, timer);
    const running = await scheduler.start('A', 5000);
    const waiting = scheduler.start('B', 5000);
    expect(pending.map((e) => e.ms)).toEqual([30_000]);
    fireAll();
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryNotStartedError);
    const refusal = error as QueryNotStartedError;
    expect(refusal.extensions.code).toBe('QUERY_TIMEOUT');
    expect((refusal.extensions.http as { status: number }).status).toBe(503);
    expect(scheduler.waiting).toBe(0);
    // The slot goes to the next arrival, not to the query that gave up.
    running();
    const next = await scheduler.start('C', 5000);
    next();
  });

  it('a query that started is not refused by its timer, and ending twice frees one slot only', async () => {
    const { timer, fireAll } = manualTimer();
    const scheduler = new FairScheduler(settings, timer);
    const first = await scheduler.start('A', 5000);
    const second = scheduler.start('B', 5000);
    first();
    first();
    const end = await second;
    fireAll();
    let thirdStarted = false;
    const third = scheduler.start('C', 5000).then((e) => {
      thirdStarted = true;
      return e;
    });
    await settle();
    expect(thirdStarted).toBe(false);
    end();
    (await third)();
    expect(thirdStarted).toBe(true);
  });
});
