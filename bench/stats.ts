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

/** Milliseconds since `start` (a `process.hrtime.bigint()`). */
export const elapsedMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * How long something took: on the wall clock, and in CPU time of this process (user + system,
 * all its threads: SQLite's work on libuv's pool included). On a shared machine the wall clock
 * also counts the moments the process waited for a core; CPU time counts only the work.
 */
export interface Timing {
  ms: number;
  cpuMs: number;
}

/** Starts both clocks; the function returned reads them. */
export function startClocks(): () => Timing {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  return () => {
    const used = process.cpuUsage(cpu);
    return { ms: elapsedMs(wall), cpuMs: (used.user + used.system) / 1000 };
  };
}

/** Wall-clock and CPU milliseconds of the samples, each as a list. */
export const wall = (timings: Timing[]): number[] => timings.map((t) => t.ms);
export const cpu = (timings: Timing[]): number[] => timings.map((t) => t.cpuMs);

/**
 * Runs every variant once per round, `warmup` unmeasured rounds first, the order rotating from
 * one round to the next so that drift on a shared machine hits each variant alike. Returns each
 * variant's samples, round by round (sample i of every variant comes from the same round).
 */
export async function sideBySide<K extends string, T>(
  variants: Record<K, () => Promise<T>>,
  rounds: number,
  warmup: number,
): Promise<Record<K, T[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = -warmup; round < rounds; round++) {
    const offset = (round + warmup) % names.length;
    for (let i = 0; i < names.length; i++) {
      const name = names[(offset + i) % names.length];
      const value = await variants[name]();
      if (round >= 0) {
        samples[name].push(value);
      }
    }
  }
  return samples;
}

/** Median of the ratios `a[i] / b[i]` of samples taken in the same round. */
export function pairedRatio(a: number[], b: number[]): number {
  return median(a.map((value, i) => value / b[i]));
}
