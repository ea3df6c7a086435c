import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MIB = 1024 * 1024;

/**
 * Starts a new peak: Linux resets this process's VmHWM to its current RSS when 5 is written to
 * /proc/self/clear_refs. False where that is not possible; the peak then counts from the start.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** This process's peak resident set size in MiB: VmHWM on Linux, else maxRSS since start. */
export function peakRssMiB(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) {
      return (Number(kib) * 1024) / MIB;
    }
  } catch {
    // Not Linux: fall through.
  }
  return (process.resourceUsage().maxRSS * 1024) / MIB;
}

export interface LoadRunMemory {
  serverPeakRssMiB: number;
  requestsPerSecond: number | null;
  durationSeconds: number | null;
  connections: number | null;
}

/** The server's peak RSS from the last `npm run load` (bench/load-results.json), if any. */
export function loadRunMemory(): LoadRunMemory | null {
  const file = join(__dirname, '..', '..', 'bench', 'load-results.json');
  if (!existsSync(file)) {
    return null;
  }
  try {
    const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const number = (key: string) => (typeof results[key] === 'number' ? results[key] : null);
    const serverPeakRssMiB = number('serverPeakRssMiB');
    return serverPeakRssMiB === null
      ? null
      : {
          serverPeakRssMiB,
          requestsPerSecond: number('requestsPerSecond'),
          durationSeconds: number('durationSeconds'),
          connections: number('connections'),
        };
  } catch {
    return null;
  }
}
