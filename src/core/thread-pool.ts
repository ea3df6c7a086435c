import type { LimitsConfig } from './config';

/** libuv's own default. */
const NODE_DEFAULT_THREADS = 4;
/** libuv's ceiling for UV_THREADPOOL_SIZE. */
const MAX_THREADS = 1024;
/**
 * Threads beyond the query slots: SQLite's writer, the shared reading connection (authentication,
 * exports), and one for the file system and DNS.
 */
const RESERVED_THREADS = 3;

/**
 * The threads libuv's pool needs so that a write never waits for a thread behind reads. SQLite's
 * driver runs every statement as a unit of pool work that holds its thread for the statement's
 * whole run, and each connection runs one statement at a time (data-source.ts). A running query
 * reads on a connection of its own (statement-deadline.ts), so with Node's four threads two
 * 1000-row pages and two small queries filled the pool and a mutation's next statement waited,
 * at each of its seven or eight, until a page's read ended (issue 13's createIncident tail).
 * PostgreSQL's driver uses no pool threads: this changes nothing there.
 */
export function threadPoolSize(
  limits: Pick<LimitsConfig, 'concurrentQueries' | 'concurrentExpensiveQueries'>,
): number {
  const wanted = limits.concurrentQueries + limits.concurrentExpensiveQueries + RESERVED_THREADS;
  return Math.min(MAX_THREADS, Math.max(NODE_DEFAULT_THREADS, wanted));
}

/**
 * The pool size to run with: UV_THREADPOOL_SIZE when the operator chose it (in the environment or
 * the `.env` file, `env`), else one for `limits`. libuv reads process.env when the pool first runs
 * work, so main.ts sets it before anything touches the file system, DNS or the database.
 */
export function threadPoolSetting(
  limits: Pick<LimitsConfig, 'concurrentQueries' | 'concurrentExpensiveQueries'>,
  env: NodeJS.ProcessEnv,
): number {
  const chosen = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(chosen) && chosen > 0
    ? Math.min(MAX_THREADS, chosen)
    : threadPoolSize(limits);
}
