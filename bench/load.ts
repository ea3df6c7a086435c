import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { type BenchDatabaseKind, openBenchServices } from './bench-database';
import { insertLoadFixture, type LoadFixture } from './load-fixture';
import {
  BI_PAGE,
  LoadMix,
  type PageCursors,
  type RequestKind,
  type ResponseErrorKind,
} from './load-mix';
import { ServerProcess } from './load-server';
import { progress } from './progress';

/** A wrong command line: its message alone says what to type instead. */
class UsageError extends Error {}

const USAGE =
  'usage: npm run load [-- --duration 60 --connections 50 --incidents 10000 --timeout 10 --db sqlite|postgres --slots fair|two]';

/**
 * Far above what one client can send here (a few hundred requests a second), so the limits are
 * in force but never reached: a 429 during the load is an error like any other.
 */
const UNLIMITED = '1000000000';

/** The named variables of this process's environment that are set, for the server's. */
function passThrough(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
  );
}

interface Options {
  durationSeconds: number;
  connections: number;
  incidents: number;
  monitors: number;
  timeoutSeconds: number;
  db: BenchDatabaseKind;
  /** `fair`: the server as deployed; `two`: the two fixed query slots it replaced (bench only). */
  slots: 'fair' | 'two';
}

function optionsFromArgs(args: string[]): Options {
  const options: Options = {
    durationSeconds: 60,
    connections: 50,
    incidents: 10_000,
    monitors: 60,
    timeoutSeconds: 10,
    db: 'sqlite',
    slots: 'fair',
  };
  const numbers = {
    duration: 'durationSeconds',
    connections: 'connections',
    incidents: 'incidents',
    timeout: 'timeoutSeconds',
  } as const;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2);
    const name = flag.replace(/^--/, '');
    const value = inline ?? args[++i];
    if (!flag.startsWith('--') || value === undefined) {
      throw new UsageError(`${flag} needs a value; ${USAGE}`);
    }
    if (name === 'db') {
      if (value !== 'sqlite' && value !== 'postgres') {
        throw new UsageError(`--db must be sqlite or postgres, not "${value}"`);
      }
      options.db = value;
    } else if (name === 'slots') {
      if (value !== 'fair' && value !== 'two') {
        throw new UsageError(`--slots must be fair or two, not "${value}"`);
      }
      options.slots = value;
    } else if (name in numbers) {
      if (!/^[1-9]\d*$/.test(value)) {
        throw new UsageError(`--${name} must be a whole number above 0, not "${value}"`);
      }
      options[numbers[name as keyof typeof numbers]] = Number(value);
    } else {
      throw new UsageError(`unknown argument ${flag}; ${USAGE}`);
    }
  }
  return options;
}

/** The DATABASE_URL of the bench's fresh database, for the server process. */
function databaseUrl(options: { type: string; database?: unknown; url?: unknown }): string {
  if (options.type === 'sqlite' && typeof options.database === 'string') {
    return `sqlite:${options.database}`;
  }
  if (options.type === 'postgres' && typeof options.url === 'string') {
    return options.url;
  }
  throw new Error(`no DATABASE_URL for a ${options.type} data source`);
}

async function graphql(
  server: ServerProcess,
  secret: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data: Record<string, unknown>; headers: Headers; cost?: PageCost; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: Record<string, unknown>;
    errors?: unknown[];
    extensions?: { cost?: PageCost };
  };
  const ms = performance.now() - started;
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`warm-up request failed (${response.status}): ${JSON.stringify(body.errors)}`);
  }
  return { data: body.data, headers: response.headers, cost: body.extensions?.cost, ms };
}

interface PageCost {
  requestedQueryCost: number;
  actualQueryCost: number;
}

/**
 * Walks every page of `incidents(first: 1000)` once, in order, through the API: it warms the
 * server up and yields the cursors the load then reads the pages with.
 */
async function walkPages(
  server: ServerProcess,
  fixture: LoadFixture,
): Promise<{ pages: PageCursors; rateLimit: string | null; walk: PageWalk }> {
  const pages: PageCursors = [null];
  let rateLimit: string | null = null;
  const walk: PageWalk = { requested: [], actual: [], ms: [] };
  for (;;) {
    const { data, headers, cost, ms } = await graphql(server, fixture.fullAccessSecret, BI_PAGE, {
      after: pages[pages.length - 1],
    });
    rateLimit ??= headers.get('ratelimit-limit');
    walk.requested.push(cost?.requestedQueryCost ?? NaN);
    walk.actual.push(cost?.actualQueryCost ?? NaN);
    walk.ms.push(ms);
    const { pageInfo } = data.incidents as {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    if (!pageInfo.hasNextPage || pageInfo.endCursor === null) {
      return { pages, rateLimit, walk };
    }
    pages.push(pageInfo.endCursor);
  }
}

/** Each BI page's cost (extensions.cost) and time, read one after the other with no other load. */
interface PageWalk {
  requested: number[];
  actual: number[];
  ms: number[];
}

const round = (value: number) => Math.round(value * 10) / 10;

function percentile(values: number[], p: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface LoadRun {
  result: autocannon.Result;
  errors: Record<ResponseErrorKind | 'timeouts' | 'connectionErrors', number>;
  errorSamples: string[];
  /** The load generator's event-loop delay, p50 / p99 / max. */
  clientLoopDelay: string;
  byKind: Record<
    RequestKind,
    { responses: number; p50Ms: number; p99Ms: number; timeouts: number }
  >;
}

/** autocannon against the server for the whole duration, every response checked. */
async function runLoad(
  server: ServerProcess,
  fixture: LoadFixture,
  pages: PageCursors,
  options: Options,
): Promise<LoadRun> {
  const mix = new LoadMix(fixture, pages);
  const errors: LoadRun['errors'] = {
    http4xx: 0,
    http5xx: 0,
    httpOther: 0,
    graphqlErrors: 0,
    badBody: 0,
    timeouts: 0,
    connectionErrors: 0,
  };
  const errorSamples: string[] = [];
  const latencies = Object.fromEntries(
    Object.keys(mix.counts).map((kind) => [kind, [] as number[]]),
  ) as Record<RequestKind, number[]>;
  interface Context {
    kind?: RequestKind;
    sentAt?: number;
    id?: number;
  }
  // Requests sent and not answered yet, oldest first: a time-out never reaches onResponse, and
  // autocannon's reqError does not say which request timed out. Each connection has one request
  // in flight and every request the same time-out, so the one timing out is the oldest.
  const unanswered = new Map<number, RequestKind>();
  const timedOut = Object.fromEntries(Object.keys(mix.counts).map((kind) => [kind, 0])) as Record<
    RequestKind,
    number
  >;
  let sent = 0;
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${fixture.fullAccessSecret}`,
  };
  const cannon: autocannon.Options = {
    url: `${server.url}/graphql`,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: options.timeoutSeconds,
    requests: [
      {
        // autocannon keeps one context per connection and clears it before each request here.
        setupRequest(request, context: Context) {
          const { kind, body } = mix.draw();
          context.kind = kind;
          context.sentAt = performance.now();
          context.id = sent++;
          unanswered.set(context.id, kind);
          return { ...request, method: 'POST', path: '/graphql', headers, body };
        },
        onResponse(status, body, context: Context) {
          const kind = context.kind ?? 'biPage';
          unanswered.delete(context.id ?? -1);
          if (context.sentAt !== undefined) {
            latencies[kind].push(performance.now() - context.sentAt);
          }
          const error = mix.check(kind, status, body);
          if (error !== null) {
            errors[error]++;
            if (errorSamples.length < 5) {
              errorSamples.push(`${kind}: HTTP ${status} ${body.slice(0, 300)}`);
            }
          }
        },
      },
    ],
  };
  const started = Date.now();
  const ticker = setInterval(
    () =>
      progress(
        `${Math.round((Date.now() - started) / 1000)}/${options.durationSeconds} s, ` +
          `${Object.values(latencies).reduce((sum, l) => sum + l.length, 0)} responses`,
      ),
    10_000,
  );
  // The generator's own event-loop delay: every latency above includes it (it shares the cores).
  const clientLoop = monitorEventLoopDelay({ resolution: 10 });
  clientLoop.enable();
  let result: autocannon.Result;
  try {
    result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(cannon, (error: unknown, done) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
      );
      instance.on('reqError', (error: unknown) => {
        const oldest = unanswered.entries().next().value;
        if (error instanceof Error && error.message === 'request timed out' && oldest) {
          unanswered.delete(oldest[0]);
          timedOut[oldest[1]]++;
        }
      });
    });
  } finally {
    clearInterval(ticker);
    clientLoop.disable();
  }
  errors.timeouts = result.timeouts;
  errors.connectionErrors = result.errors - result.timeouts;
  const byKind = Object.fromEntries(
    Object.entries(latencies).map(([kind, values]) => [
      kind,
      {
        responses: values.length,
        p50Ms: round(percentile(values, 50)),
        p99Ms: round(percentile(values, 99)),
        timeouts: timedOut[kind as RequestKind],
      },
    ]),
  ) as LoadRun['byKind'];
  const loopMs = (nanoseconds: number) => ms(nanoseconds / 1e6);
  const clientLoopDelay = [clientLoop.percentile(50), clientLoop.percentile(99), clientLoop.max]
    .map(loopMs)
    .join(' / ');
  return { result, errors, errorSamples, byKind, clientLoopDelay };
}

function printTable(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) {
    console.log(`${label.padEnd(width)}  ${value}`);
  }
}

/** The server's event-loop delay since it started, as prom-client's default metrics give it. */
async function eventLoopLag(url: string): Promise<string> {
  const text = await fetch(`${url}/metrics`).then(
    (response) => response.text(),
    () => '',
  );
  const seconds = (name: string) =>
    Number(
      new RegExp(`^statusgraph_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1],
    );
  return ['p50', 'p99', 'max'].map((name) => ms(seconds(name) * 1000)).join(' / ');
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : '-');

// `npm run load [-- --duration 10]`: the server in a process of its own on a fresh database,
// autocannon in this one; every response is checked, and any error makes the exit code 1.
async function main(): Promise<void> {
  const options = optionsFromArgs(process.argv.slice(2));
  progress(`${options.db}: ${options.incidents} incidents, ${options.monitors} monitors`);
  const bench = await openBenchServices(options.db);
  let server: ServerProcess | undefined;
  try {
    const fixture = await insertLoadFixture(bench.services, options.incidents, options.monitors);
    server = await ServerProcess.start(
      {
        DATABASE_URL: databaseUrl(bench.services.db.dataSource.options),
        LOG_LEVEL: 'warn',
        COST_BUCKET_SIZE: UNLIMITED,
        COST_RESTORE_RATE: UNLIMITED,
        AUTH_FAILURES_PER_MINUTE: UNLIMITED,
        // Any other setting of the server's, e.g. MAX_CONCURRENT_QUERIES, passes through.
        ...passThrough([
          'MAX_CONCURRENT_QUERIES',
          'MAX_CONCURRENT_EXPENSIVE_QUERIES',
          'QUERY_TIMEOUT_MS',
          'COST_BUCKET_SIZE',
          'COST_RESTORE_RATE',
          'LOG_LEVEL',
        ]),
      },
      30_000,
      options.slots === 'two' ? join(__dirname, 'two-slot-server.js') : undefined,
    );
    progress(`server ${server.pid} at ${server.url}; walking the pages once`);
    const { pages, rateLimit, walk } = await walkPages(server, fixture);
    progress(
      `${options.durationSeconds} s at ${options.connections} connections, ${pages.length} BI pages`,
    );
    const load = await runLoad(server, fixture, pages, options);
    const memory = server.memory();
    const loopLag = await eventLoopLag(server.url);
    const serverLog = server.log;
    const exit = await server.stop();
    server = undefined;
    const cleanExit = exit.code === 0 && exit.signal === null;
    const errorCount = Object.values(load.errors).reduce((sum, n) => sum + n, 0);
    const { result } = load;
    const responses = Object.values(load.byKind).reduce((sum, k) => sum + k.responses, 0);
    const logRecords = serverLog
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map(
        (line) =>
          JSON.parse(line) as {
            level?: number;
            msg?: string;
            operationName?: string;
            durationMs?: number;
          },
      );
    // pino's levels: 40 is warn. With LOG_LEVEL=info the request lines give the server's own
    // latency per operation, beside the client's (which includes parsing on these same cores).
    const logLines = logRecords.filter((record) => (record.level ?? 0) >= 40);
    const serverMs = new Map<string, number[]>();
    for (const record of logRecords) {
      if (record.msg === 'request' && record.operationName && record.durationMs !== undefined) {
        serverMs.set(record.operationName, [
          ...(serverMs.get(record.operationName) ?? []),
          record.durationMs,
        ]);
      }
    }

    console.log(
      `statusgraph load — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${options.db}`,
    );
    printTable([
      ['query slots', options.slots === 'two' ? 'two fixed slots (bench only)' : 'fair scheduler'],
      [
        'BI page alone: requested / actual cost (median), ms p50',
        `${percentile(walk.requested, 50)} / ${percentile(walk.actual, 50)}, ${ms(percentile(walk.ms, 50))}`,
      ],
      ['duration', `${result.duration.toFixed(1)} s`],
      ['connections', String(result.connections)],
      ['requests (responses checked)', `${responses}`],
      ['requests per second (mean)', (responses / result.duration).toFixed(1)],
      ['latency p50 (2xx, all kinds)', ms(result.latency.p50)],
      ['latency p99', ms(result.latency.p99)],
      ['latency p99.9', ms(result.latency.p99_9)],
      ...Object.entries(load.byKind).map(([kind, k]): [string, string] => [
        `  ${kind}: responses, p50, p99, time-outs`,
        `${k.responses}, ${ms(k.p50Ms)}, ${ms(k.p99Ms)}, ${k.timeouts}`,
      ]),
      ...Object.entries(load.errors).map(([kind, n]): [string, string] => [
        `errors: ${kind}`,
        String(n),
      ]),
      ['errors (total)', String(errorCount)],
      [
        'server peak RSS (VmHWM)',
        memory ? `${memory.peakRssMiB.toFixed(0)} MiB (now ${memory.rssMiB.toFixed(0)} MiB)` : '-',
      ],
      ...[...serverMs].map(([name, durations]): [string, string] => [
        `  server side (LOG_LEVEL=info) ${name}: p50, p99`,
        `${ms(percentile(durations, 50))}, ${ms(percentile(durations, 99))}`,
      ]),
      ['server event-loop delay p50 / p99 / max (prom-client)', loopLag],
      ['load generator event-loop delay p50 / p99 / max', load.clientLoopDelay],
      ['server log lines at warn or above', String(logLines.length)],
      ['rate limit in force (ratelimit-limit)', rateLimit ?? 'not reported'],
      ['server exit after SIGTERM', cleanExit ? 'clean (0)' : JSON.stringify(exit)],
    ]);
    for (const sample of load.errorSamples) {
      progress(`error: ${sample}`);
    }
    for (const line of logLines.slice(0, 5)) {
      progress(`server log: ${JSON.stringify(line).slice(0, 300)}`);
    }
    writeFileSync(
      join(__dirname, '..', '..', 'bench', 'load-results.json'),
      JSON.stringify(
        {
          node: process.version,
          cpus: cpus().length,
          db: options.db,
          incidents: options.incidents,
          monitors: options.monitors,
          biPages: pages.length,
          durationSeconds: result.duration,
          connections: result.connections,
          requests: responses,
          requestsPerSecond: round(responses / result.duration),
          latencyMs: {
            p50: result.latency.p50,
            p99: result.latency.p99,
            p99_9: result.latency.p99_9,
          },
          byKind: load.byKind,
          errors: { ...load.errors, total: errorCount },
          errorSamples: load.errorSamples,
          serverPeakRssMiB: memory?.peakRssMiB ?? null,
          serverLogLinesWarnOrAbove: logLines.length,
          rateLimitPerMinute: rateLimit,
          serverExit: exit,
        },
        null,
        2,
      ) + '\n',
    );
    if (errorCount > 0 || !cleanExit) {
      process.exitCode = 1;
    }
  } finally {
    await server?.stop();
    await bench.close();
  }
}

main().catch((error: unknown) => {
  const text =
    error instanceof UsageError ? error.message : error instanceof Error ? error.stack : '';
  process.stderr.write(`load: ${text || String(error)}\n`);
  // Exit now: a failure mid-run may leave autocannon's connections open.
  process.exit(1);
});
