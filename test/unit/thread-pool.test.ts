import { sizeThreadPool, threadPoolSize } from '../../src/core/thread-pool';

describe('the size of the thread pool', () => {
  it("is a thread per query slot and three more, never below Node's four nor above libuv's 1024", () => {
    expect(threadPoolSize({ concurrentQueries: 2, concurrentExpensiveQueries: 2 })).toBe(7);
    expect(threadPoolSize({ concurrentQueries: 1, concurrentExpensiveQueries: 0 })).toBe(4);
    expect(threadPoolSize({ concurrentQueries: 1000, concurrentExpensiveQueries: 1000 })).toBe(
      1024,
    );
  });

  it('is set in the environment unless the operator chose one', () => {
    const unset: NodeJS.ProcessEnv = {};
    expect(sizeThreadPool({ concurrentQueries: 2, concurrentExpensiveQueries: 2 }, unset)).toBe(7);
    expect(unset.UV_THREADPOOL_SIZE).toBe('7');
    const chosen: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '3' };
    expect(sizeThreadPool({ concurrentQueries: 2, concurrentExpensiveQueries: 2 }, chosen)).toBe(3);
    expect(chosen.UV_THREADPOOL_SIZE).toBe('3');
    const nonsense: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: 'many' };
    expect(sizeThreadPool({ concurrentQueries: 2, concurrentExpensiveQueries: 2 }, nonsense)).toBe(
      7,
    );
    expect(nonsense.UV_THREADPOOL_SIZE).toBe('7');
  });
});
