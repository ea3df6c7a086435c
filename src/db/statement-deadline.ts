import { AsyncLocalStorage } from 'node:async_hooks';
import { Connection, type Pool, type PoolClient } from 'pg';
import type { Database as SqliteConnection } from 'sqlite3';
import type { DataSource, QueryRunner } from 'typeorm';
import type { Timer } from '../core/clock';

/** What a query's statements answer to: its request's deadline (core/loaders.ts's Loaders). */
export interface StatementDeadline {
  /** Milliseconds left (Infinity without a deadline). */
  remainingMs(): number;
  /** Marks the request timed out; the error its statement then fails with. */
  expire(): Error;
  /** Arms the stop of a statement still running at the deadline. */
  timer: Timer;
}

/**
 * Milliseconds between two attempts to stop a statement past its deadline. The first may come
 * too early to take: SQLite forgets an interrupt made before the statement's first step, and
 * PostgreSQL ignores a cancel that reaches the backend before the statement does.
 */
const STOP_RETRY_MS = 20;

/** The read connections of a SQLite database beyond the shared one: one per running query. */
class SqliteReadConnections {
  private readonly idle: SqliteConnection[] = [];
  private readonly opened: SqliteConnection[] = [];

  constructor(private readonly open: () => Promise<SqliteConnection>) {}

  async lease(): Promise<SqliteConnection> {
    const idle = this.idle.pop();
    if (idle) {
      return idle;
    }
    const opened = await this.open();
    this.opened.push(opened);
    return opened;
  }

  giveBack(connection: SqliteConnection): void {
    this.idle.push(connection);
  }

  /** Connections opened, and those free for the next query (tests see a stopped one come back). */
  get counts(): { opened: number; idle: number } {
    return { opened: this.opened.length, idle: this.idle.length };
  }

  async close(): Promise<void> {
    const all = this.opened.splice(0);
    this.idle.splice(0);
    await Promise.all(all.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))));
  }
}

/** One query's execution: its deadline, and on SQLite the connection only its statements use. */
class QueryScope {
  running = 0;
  private ended = false;

  constructor(
    readonly deadline: StatementDeadline,
    public connection: SqliteConnection | null,
    private readonly giveBack: (connection: SqliteConnection) => void,
  ) {}

  /** The execution returned; the connection is given back once its last statement has settled. */
  end(): void {
    this.ended = true;
    this.settle();
  }

  settle(): void {
    if (this.ended && this.running === 0 && this.connection) {
      const connection = this.connection;
      // A statement a resolver starts after the execution returned runs on the shared connection.
      this.connection = null;
      this.giveBack(connection);
    }
  }
}

const current = new AsyncLocalStorage<QueryScope>();

type Query = QueryRunner['query'];

/** The pieces of node-pg's client a cancel request needs (its key to the backend). */
interface PgBackend {
  processID: number | null;
  secretKey: number | null;
  host: string;
  port: number;
  connectionParameters: { ssl?: unknown };
}

/**
 * QUERY_TIMEOUT_MS at each SQL statement of a query (API.md section 9), stopping only that
 * query's statements. Nothing is sent while a statement runs within its time, so a small query
 * runs exactly the statements it did before; only a statement still running at the deadline is
 * stopped:
 * - PostgreSQL: a cancel request for the backend of the client running it (node-pg has no
 *   per-query `statement_timeout`; `SET LOCAL` would need a transaction, three more round trips
 *   on every query). The statement keeps its client checked out of the pool until the server has
 *   taken every cancel sent for it, so a cancel reaches this statement or, if it has just ended,
 *   an idle backend, which discards it when it reads its next command: never the statement of a
 *   request that took the client next.
 * - SQLite: `sqlite3_interrupt` stops every statement of a connection, so each query reads on a
 *   connection of its own, leased from a pool for its execution (at most one per running query)
 *   and given back only when its last statement has settled. Like the shared reading connection,
 *   it never sees an uncommitted write (WAL).
 * Statements inside a transaction (writes) are never stopped: a write may commit whatever the
 * deadline says, and on PostgreSQL one transaction may carry other requests' batched writes.
 */
export class StatementGuard {
  private readonly connections: SqliteReadConnections | null;

  constructor(private readonly source: DataSource) {
    // TypeORM's own way of opening a connection: WAL, the busy timeout, the same file.
    const driver = source.driver as unknown as {
      createDatabaseConnection(): Promise<SqliteConnection>;
    };
    this.connections =
      source.options.type === 'sqlite'
        ? new SqliteReadConnections(() => driver.createDatabaseConnection())
        : null;
    this.install();
  }

  /** SQLite's read connections beyond the shared one (null on PostgreSQL). */
  get sqliteConnections(): { opened: number; idle: number } | null {
    return this.connections?.counts ?? null;
  }

  /** Runs a query's execution with every read statement it causes bounded by `deadline`. */
  async run<T>(deadline: StatementDeadline, work: () => Promise<T>): Promise<T> {
    if (deadline.remainingMs() === Infinity) {
      return work();
    }
    const connections = this.connections;
    const scope = new QueryScope(
      deadline,
      connections ? await connections.lease() : null,
      (connection) => connections?.giveBack(connection),
    );
    try {
      return await current.run(scope, work);
    } finally {
      scope.end();
    }
  }

  close(): Promise<void> {
    return this.connections?.close() ?? Promise.resolve();
  }

  private install(): void {
    const driver = this.source.driver;
    const create = driver.createQueryRunner.bind(driver);
    const guarded = new WeakSet<QueryRunner>();
    driver.createQueryRunner = (mode) => {
      const runner = create(mode);
      if (!guarded.has(runner)) {
        guarded.add(runner);
        this.guard(runner);
      }
      return runner;
    };
  }

  private guard(runner: QueryRunner): void {
    const sqlite = this.connections !== null;
    if (sqlite) {
      // SQLite's driver has one runner for all callers: the connection is chosen per statement.
      const connect = runner.connect.bind(runner);
      runner.connect = () => {
        const own = current.getStore()?.connection;
        return own ? Promise.resolve(own) : connect();
      };
    }
    const query = runner.query.bind(runner) as Query;
    runner.query = (async (...args: Parameters<Query>) => {
      const scope = current.getStore();
      if (!scope || runner.isTransactionActive || (sqlite && !scope.connection)) {
        return query(...args);
      }
      const connection = scope.connection;
      const backend = () =>
        (runner as unknown as { databaseConnection?: PgBackend }).databaseConnection;
      return bounded(
        scope,
        () => (connection ? connection.interrupt() : cancelBackend(backend())),
        () => query(...args),
      );
    }) as Query;
  }

  /**
   * One read statement straight from PostgreSQL's pool (no TypeORM query runner), on a client
   * checked out for it; within a query's execution bounded as a runner's statement is, the client
   * given back only once every cancel sent for it has been taken.
   */
  async poolRead<R>(pool: Pool, send: (client: PoolClient) => Promise<R>): Promise<R> {
    const scope = current.getStore();
    const held: { client?: PoolClient; lost?: Error } = {};
    // Checked out, a client has none of the pool's listeners: a connection lost meanwhile would
    // be an 'error' event nobody handles, the process's end. Noted instead, and the client is
    // given back with it, so the pool drops it (as TypeORM's query runner does).
    const lost = (error: Error) => (held.lost = error);
    const run = async () => {
      held.client = await pool.connect();
      held.client.on('error', lost);
      return send(held.client);
    };
    try {
      return await (scope
        ? bounded(scope, () => cancelBackend(held.client as PgBackend | undefined), run)
        : run());
    } finally {
      held.client?.release(held.lost);
      held.client?.removeListener('error', lost);
    }
  }
}

/**
 * Runs one statement of `scope`'s query, stopped with `stop` if it still runs at the deadline;
 * one already past it is not sent.
 */
async function bounded<T>(
  scope: QueryScope,
  stop: () => Promise<void> | void,
  run: () => Promise<T>,
): Promise<T> {
  const remaining = scope.deadline.remainingMs();
  if (remaining <= 0) {
    throw scope.deadline.expire();
  }
  const stopping = new Stop(stop);
  scope.running++;
  const disarm = scope.deadline.timer(remaining, () => stopping.start());
  try {
    return await run();
  } catch (error) {
    throw stopping.started ? scope.deadline.expire() : error;
  } finally {
    disarm();
    await stopping.end();
    scope.running--;
    scope.settle();
  }
}

/** Attempts to stop one statement, repeated until it settles; `end` waits for those in flight. */
class Stop {
  started = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly attempts: Promise<void>[] = [];

  constructor(private readonly attempt: () => Promise<void> | void) {}

  start(): void {
    if (this.started) {
      return;
    }
    this.started = true;
    const attempt = () => this.attempts.push(Promise.resolve(this.attempt()));
    attempt();
    this.retry = setInterval(attempt, STOP_RETRY_MS);
    this.retry.unref();
  }

  async end(): Promise<void> {
    clearInterval(this.retry);
    await Promise.all(this.attempts);
  }
}

/**
 * Sends PostgreSQL's cancel request for the backend of a pool's `client`, as node-pg's own
 * `Client#cancel` does (a connection of its own, outside the pool), and resolves once the server
 * has closed it: by then the backend has been signalled.
 */
function cancelBackend(client: PgBackend | undefined): Promise<void> {
  if (!client?.processID || client.secretKey === null) {
    // No client yet (waiting for the pool): the next attempt finds it.
    return Promise.resolve();
  }
  const { processID, secretKey } = client;
  return new Promise((resolve) => {
    const con = new Connection({ ssl: client.connectionParameters.ssl } as never) as unknown as {
      connect(port: number | string, host?: string): void;
      cancel(processID: number, secretKey: number): void;
      on(event: string, listener: () => void): void;
    };
    con.on('connect', () => con.cancel(processID, secretKey));
    con.on('end', resolve);
    con.on('error', resolve);
    if (client.host.startsWith('/')) {
      con.connect(`${client.host}/.s.PGSQL.${client.port}`);
    } else {
      con.connect(client.port, client.host);
    }
  });
}
