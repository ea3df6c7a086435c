import { BudgetExhaustedError, CostBudget, MemoryBudgetStore } from '../../src/limits/cost-budget';
import { createLogger } from '../../src/core/logger';
import { ManualClock } from '../helpers/clock';

/**
 * One instance's buckets (SQLite): reserves that arrive in the same tick, as the requests whose
 * token look-ups one statement answered do, are taken one after another, never all against the
 * level before the first.
 */
describe('the memory budget store', () => {
  const settings = { size: 1000, restoreRate: 10 };

  it('lets only the reserves that fit pass when they all start in the same tick', async () => {
    const budget = new CostBudget(
      settings,
      new MemoryBudgetStore(settings),
      createLogger('silent'),
      new ManualClock(),
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => budget.reserve('token', 310)),
    );
    const passed = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(passed.map((o) => o.value)).toEqual([690, 380, 70]);
    expect(refused).toHaveLength(3);
    refused.forEach((o) => expect(o.reason).toBeInstanceOf(BudgetExhaustedError));
    expect(await budget.available('token')).toBe(70);
  });

  it('gives back and charges in the same tick without losing either', async () => {
    const store = new MemoryBudgetStore(settings);
    await store.take('token', 500, 0, 0);
    await Promise.all([store.give('token', 100, 0), store.give('token', -50, 0)]);
    expect(await store.peek('token', 0)).toBe(550);
  });
});
