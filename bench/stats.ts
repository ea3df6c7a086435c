/** Median of a sample; benchmarks quote medians because the machines are shared and noisy. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Microseconds each call of `fn` takes, `rounds` times after `warmup` unmeasured calls. */
export async function timeEach(
  fn: () => Promise<unknown>,
  rounds: number,
  warmup = 100,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    await fn();
  }
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return samples;
}
