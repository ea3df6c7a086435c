import type { Response } from 'express';
import type { Clock, Timer } from '../../core/clock';
import type { LimitsConfig } from '../../core/config';
import type { Actor } from '../../core/context';
import { Loaders } from '../../core/loaders';
import { CostMeter, metered } from '../../db/cost-meter';
import type { Database } from '../../db/database';
import { MAX_PAGE_SIZE } from '../../db/pagination';
import { BudgetExhaustedError, type CostBudget } from '../../limits/cost-budget';
import type { FairScheduler } from '../../limits/fair-scheduler';
import type { ExportFormat } from './export-formats';
import type { ExportList, ExportPage } from './export-lists';

/** What streaming an export uses of the services. */
export interface ExportStreamServices {
  clock: Clock;
  db: Database;
  limits: Pick<LimitsConfig, 'queryTimeoutMs' | 'costPerRequest'>;
  costBudget: CostBudget;
  scheduler: FairScheduler;
  /** Waits for a dry budget's refill (tests fire it instead of waiting). */
  timer: Timer;
  /** Arms the stop of a page's statement still running at its deadline. */
  deadlineTimer: Timer;
}

/** How an export ended: every row sent, the client gone, or cut by an error after the first row. */
export type ExportEnd = 'complete' | 'client_gone';

export interface ExportJob {
  actor: Actor & { token: { id: string } };
  list: ExportList;
  args: Record<string, unknown>;
  format: ExportFormat;
  res: Response;
  /** Called with each page's row count once it is written. */
  onRows(count: number): void;
  /**
   * The request's token as it stands now, authenticated again before every page after the
   * first: a token revoked, switched off, expired or given other boards while its export runs
   * holds from the next page (an error there cuts the connection).
   */
  reauthenticate(): Promise<ExportJob['actor']>;
}

/**
 * Streams an export page by page (API.md section 12): each page waits until the token's budget
 * holds its cost (a dry budget slows the stream to the restore rate), takes its turn in the fair
 * scheduler, runs as its own short statements under the query deadline, and is charged what it
 * read; it is written only once the previous page has drained to a slow reader, so memory holds
 * one page whatever the row count. Nothing is held between pages: no transaction, no connection.
 * Rejects with the error of a page; the caller answers it (before the first row) or cuts the
 * connection (after).
 */
export async function streamExport(
  services: ExportStreamServices,
  job: ExportJob,
): Promise<ExportEnd> {
  const { res, list, format } = job;
  const gone = clientGone(res);
  let after: string | null = null;
  let head = format.head(list.columns);
  for (;;) {
    const page = await readPage(services, job, after, gone);
    if (page === null || gone.now()) {
      return 'client_gone';
    }
    if (!res.headersSent) {
      res.status(200);
      res.setHeader('content-type', format.contentType);
      res.setHeader('cache-control', 'no-store');
    }
    const flowing = writePage(res, head, page, job);
    head = '';
    job.onRows(page.records.length);
    if (!page.hasNextPage) {
      res.end();
      return 'complete';
    }
    if (!flowing && !(await drained(res, gone.promise))) {
      return 'client_gone';
    }
    if (gone.now()) {
      return 'client_gone';
    }
    after = page.endCursor;
  }
}

/**
 * Below V8's large-object size (128 KiB), a written piece dies young: a whole page as one string
 * (~300 KB) would go straight to the old generation, which grows by tens of MiB between two of
 * its collections, so the process's memory would climb with the export's length.
 */
const PIECE_CHARS = 32 * 1024;

/** Writes a page in pieces; false when the reader is behind (wait for 'drain'). */
function writePage(res: Response, head: string, page: ExportPage, job: ExportJob): boolean {
  const { format, list } = job;
  let flowing = true;
  let piece = head;
  for (const record of page.records) {
    piece += format.row(record, list.columns);
    if (piece.length >= PIECE_CHARS) {
      flowing = res.write(piece) && flowing;
      piece = '';
    }
  }
  if (piece !== '') {
    flowing = res.write(piece) && flowing;
  }
  return flowing;
}

/** One page, when the budget holds it and its turn has come; null when the client left meanwhile. */
async function readPage(
  services: ExportStreamServices,
  job: ExportJob,
  after: string | null,
  gone: ClientGone,
): Promise<ExportPage | null> {
  const { costBudget, scheduler, db, clock, limits } = services;
  const tokenId = job.actor.token.id;
  // Each page costs what the GraphQL page it replaces would: the request's base (COST_PER_REQUEST)
  // and what it reads, so paging through an export is no cheaper than paging through the list.
  const base = limits.costPerRequest;
  // A page as large as a list allows, and never more than the whole bucket can hold.
  const size = Math.max(
    1,
    Math.min(MAX_PAGE_SIZE, Math.floor(costBudget.settings.size) - base - job.list.statements),
  );
  const reads = job.list.statements + size;
  const requested = base + reads;
  if (!(await reserve(services, tokenId, requested, gone))) {
    return null;
  }
  const meter = new CostMeter();
  let ran = false;
  try {
    // After the first page, the token as it stands once the page's budget is there.
    const current = after === null ? job.actor : await job.reauthenticate();
    // The lane follows what the page reads, as for a query.
    const end = await scheduler.start(tokenId, reads);
    ran = true;
    try {
      const loaders = new Loaders();
      loaders.stopAfter(limits.queryTimeoutMs, clock, services.deadlineTimer);
      const actor = { ...current, loaders };
      return await metered(meter, () =>
        db.withDeadline(loaders, () => job.list.page(actor, job.args, { first: size, after })),
      );
    } finally {
      end();
    }
  } finally {
    // Charged its base and what it read, as a list page is; a page that never ran, nothing.
    await costBudget.settle(tokenId, requested, ran ? base + meter.points : 0);
  }
}

/**
 * Reserves a page's cost, waiting for the refill while the budget is dry: the stream slows to
 * the restore rate instead of failing. False when the client left while it waited.
 */
async function reserve(
  services: ExportStreamServices,
  tokenId: string,
  requested: number,
  gone: ClientGone,
): Promise<boolean> {
  const { costBudget } = services;
  for (;;) {
    if (gone.now()) {
      return false;
    }
    try {
      await costBudget.reserve(tokenId, requested);
      return true;
    } catch (error) {
      if (!(error instanceof BudgetExhaustedError)) {
        throw error;
      }
      // What the bucket really holds: below 0 after a page that read more than it reserved.
      const missing = requested - (await costBudget.available(tokenId));
      const ms = Math.max(1, Math.ceil((missing / costBudget.settings.restoreRate) * 1000));
      let cancel = () => {};
      await Promise.race([
        new Promise<void>((refilled) => (cancel = services.timer(ms, refilled))),
        gone.promise,
      ]);
      cancel();
    }
  }
}

interface ClientGone {
  now(): boolean;
  promise: Promise<void>;
}

/** Whether (and when) the client closed the connection before the export ended. */
function clientGone(res: Response): ClientGone {
  let closed = false;
  const promise = new Promise<void>((resolve) =>
    res.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  return { now: () => closed || res.destroyed, promise };
}

/** Waits until a slow reader has taken what was written; false when it left instead. */
function drained(res: Response, gone: Promise<void>): Promise<boolean> {
  return Promise.race([
    new Promise<boolean>((resolve) => res.once('drain', () => resolve(true))),
    gone.then(() => false),
  ]);
}
