import { threadPoolSetting, threadPoolSize } from '../../src/core/thread-pool';

describe('the size of the thread pool', () => {
  it("is a thread per query slot and three more, never below Node's four nor above libuv's 1024", () => {
    expect(threadPoolSize({ concurrentQueries: 2, concurrentExpensiveQueries: 2 })).toBe(7);
    expect(threadPoolSize({ concurrentQueries: 1, concurrentExpensiveQueries: 0 })).toBe(4);
    expect(threadPoolSize({ concurrentQueries: 1000, concurrentExpensiveQueries: 1000 })).toBe(
      1024,
    );
  });

  it("is the operator's UV_THREADPOOL_SIZE when it is a positive whole number", () => {
    const limits = { concurrentQueries: 2, concurrentExpensiveQueries: 2 };
    expect(threadPoolSetting(limits, {})).toBe(7);
    expect(threadPoolSetting(limits, { UV_THREADPOOL_SIZE: '3' })).toBe(3);
    expect(threadPoolSetting(limits, { UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
    expect(threadPoolSetting(limits, { UV_THREADPOOL_SIZE: 'many' })).toBe(7);
    expect(threadPoolSetting(limits, { UV_THREADPOOL_SIZE: '0' })).toBe(7);
  });
});
