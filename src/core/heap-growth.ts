import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How far V8's old generation may grow past what the last full collection left live before the
 * next one, while an export streams: 50% (a growing factor of 1.5).
 *
 * Left to itself V8 lets a small heap grow up to four times its live size between full
 * collections. A long export keeps nothing (each page is garbage once written) but, with its
 * pages spanning a young collection or two, promotes about 2 MB of them per collection; the old
 * generation then climbed from ~30 MB live to ~120 MB before the first full collection, so the
 * server's peak RSS grew with the export's length until about 100,000 rows: 157 vs 224 MiB
 * exporting 10,000 vs 1,000,000 rows; 148 vs 164 MiB with the bound
 * (`npm run bench:exports -- --rows 1000000 --rounds 0`, README's Exports).
 *
 * Only while an export streams: the bound's extra full collections cost an export a few percent
 * of its speed, but held all the time they cost BI pages under `npm run load` 7–10% of their
 * throughput (their live heap is small and what they promote large), for a peak that load
 * reaches anyway.
 */
export const HEAP_GROWING_PERCENT = 50;

/** V8's own setting: the growing factor chosen from the heap's size and the collector's speed. */
const V8_DEFAULT = 0;

/**
 * What the bound does to V8: set a flag; start a full collection, settled once it has run (it
 * runs in a later task); hear of each full collection (when its final pause started, told some
 * time after); the time on that clock.
 */
export interface HeapControls {
  setFlags(flags: string): void;
  collect(): Promise<void>;
  onFullCollection(listener: (startedAt: number) => void): void;
  now(): number;
}

type StartCollection = (options: { type: 'major'; execution: 'async' }) => unknown;
let startCollection: StartCollection | null | undefined;

/**
 * V8's `gc`, from a context of its own (the main one gets none), or null where it cannot be had
 * (the operator's `--expose-gc-as=NAME`). Only this form runs a full collection on Node 20: with
 * any other options V8 runs a young one (test/e2e/heap-growth.test.ts).
 */
function collector(): StartCollection | null {
  if (startCollection === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      startCollection = typeof gc === 'function' ? (gc as StartCollection) : null;
    } catch {
      startCollection = null;
    }
  }
  return startCollection;
}

/** V8's own: its flags, its `gc`, its collections as performance entries. */
export const v8Controls: HeapControls = {
  setFlags: setFlagsFromString,
  async collect() {
    await collector()?.({ type: 'major', execution: 'async' });
  },
  onFullCollection(listener) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          listener(entry.startTime);
        }
      }
    }).observe({ entryTypes: ['gc'] });
  },
  now: () => performance.now(),
};

/** How long a bound's span is remembered: far longer than V8 takes to tell of a collection. */
const SPAN_MEMORY_MS = 10_000;

/**
 * The process's heap growth: bounded while at least one holder (a streaming export) holds it,
 * V8's default otherwise. V8 sets the next full collection's limit when one ends, from the flag
 * as it is then: a bound taken after a full collection sized the heap under V8's default growth
 * holds only from the next one, so taking it then starts one. The bound is let go only once that
 * collection has run, so it always runs bounded, and another is started only after V8 made one
 * on its own while unbounded: exports started and dropped in a loop cannot make the process
 * collect more often than it would anyway.
 * Node calls changing V8's flags after start undefined behaviour; test/e2e/heap-growth.test.ts
 * shows it takes effect on the Node that runs here. When the operator chose a growing factor on
 * Node's command line (`node --heap-growing-percent=N`), theirs stands and this changes nothing.
 */
export class HeapGrowth {
  private holders = 0;
  /** Whether the heap's present limit may have been set under V8's default growth. */
  private sizedUnbounded = true;
  /** The collection this started, until it has run: the bound holds meanwhile. */
  private collecting: Promise<void> | null = null;
  /** When the flag was bounded lately (`end` Infinity: still bounded), on the controls' clock. */
  private spans: { start: number; end: number }[] = [];
  private listening = false;
  private readonly operatorChose: boolean;

  constructor(
    execArgv: readonly string[],
    private readonly controls: HeapControls = v8Controls,
  ) {
    this.operatorChose = execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
  }

  /** The percent held while bounded; null when the operator's own setting stands. */
  get percent(): number | null {
    return this.operatorChose ? null : HEAP_GROWING_PERCENT;
  }

  /** Exports holding the bound now. */
  get holding(): number {
    return this.holders;
  }

  /** Whether the flag is bounded now (while held, and until the collection it started has run). */
  get bounded(): boolean {
    return this.spans.at(-1)?.end === Infinity;
  }

  /** Bounds the heap's growth until the returned release is called (once; later calls do nothing). */
  bound(): () => void {
    if (this.operatorChose) {
      return () => undefined;
    }
    this.listen();
    this.holders += 1;
    if (!this.bounded) {
      this.spans.push({ start: this.controls.now(), end: Infinity });
      this.controls.setFlags(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    }
    if (this.sizedUnbounded) {
      this.startCollection();
    }
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.holders -= 1;
        this.unboundIfIdle();
      }
    };
  }

  private startCollection(): void {
    this.sizedUnbounded = false;
    const collecting = this.controls.collect().catch(() => undefined);
    this.collecting = collecting;
    void collecting.then(() => {
      if (this.collecting === collecting) {
        this.collecting = null;
        this.unboundIfIdle();
      }
    });
  }

  private unboundIfIdle(): void {
    const span = this.spans.at(-1);
    if (this.holders === 0 && this.collecting === null && span?.end === Infinity) {
      span.end = this.controls.now();
      this.controls.setFlags(`--heap-growing-percent=${V8_DEFAULT}`);
    }
  }

  /** Hears of V8's full collections from the first bound on (none is needed before). */
  private listen(): void {
    if (this.listening) {
      return;
    }
    this.listening = true;
    this.controls.onFullCollection((startedAt) => {
      const now = this.controls.now();
      this.spans = this.spans.filter((span) => span.end > now - SPAN_MEMORY_MS);
      if (this.spans.some((span) => span.start <= startedAt && startedAt < span.end)) {
        return;
      }
      // A collection that ran unbounded set an unbounded limit: one this started and that has
      // yet to run sets it again; else a bound held now takes it down at once, or the next does.
      if (this.collecting !== null) {
        return;
      }
      if (this.holders > 0) {
        this.startCollection();
      } else {
        this.sizedUnbounded = true;
      }
    });
  }
}

/** This process's: V8's flags are the process's, whatever number of servers it runs. */
export const heapGrowth = new HeapGrowth(process.execArgv);
