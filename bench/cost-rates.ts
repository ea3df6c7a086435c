import 'reflect-metadata';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { DEFAULT_LIMITS } from '../src/core/config';
import { openBenchServices } from './bench-database';
import { insertLoadFixture } from './load-fixture';
import { ServerProcess } from './load-server';
import { progress } from './progress';
import { median } from './stats';

/**
 * What the default budget must admit and what it must bound (README, "Cost and budgets"),
 * measured side by side on one real server (`dist/src/main.js`, SQLite, 10,000 incidents, the
 * budget out of the way), rounds taking turns: (a) one BI client paging the README's page
 * (1000 incidents with board and monitors) back to back — the points a second it is charged
 * (`actualQueryCost`, base included); (b) a flood of `{ viewer { permission } }` from one token
 * over 10 connections — the requests a second the server answers at most. The defaults must
 * leave (a) twice its rate, and bound (b) well below what the server answers.
 *
 * `npm run build && node dist/bench/cost-rates.js [seconds per round, default 5] [rounds, 3]`
 */

const PAGE = `query Page($after: String) { incidents(first: 1000, after: $after) {
  nodes { id name severity phase startedAt resolvedAt board { name } monitors { displayName } }
  pageInfo { hasNextPage endCursor } } }`;
const VIEWER = JSON.stringify({ query: '{ viewer { permission } }' });
const UNLIMITED = '1000000000';

interface Cost {
  requestedQueryCost: number;
  actualQueryCost: number;
}

/** One client paging back to back for `seconds`: points charged a second, pages a second. */
async function pageBackToBack(url: string, secret: string, seconds: number) {
  let after: string | null = null;
  let points = 0;
  let pages = 0;
  let requested = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ query: PAGE, variables: { after } }),
    });
    const body = (await response.json()) as {
      data?: { incidents: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      extensions?: { cost?: Cost };
    };
    if (!body.data || !body.extensions?.cost) {
      throw new Error(`a page failed (${response.status})`);
    }
    points += body.extensions.cost.actualQueryCost;
    requested = body.extensions.cost.requestedQueryCost;
    pages++;
    const { hasNextPage, endCursor } = body.data.incidents.pageInfo;
    after = hasNextPage ? endCursor : null;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { pointsPerSecond: points / elapsed, pagesPerSecond: pages / elapsed, requested };
}

/** `{ viewer }` from one token over 10 connections for `seconds`: answers a second. */
async function flood(url: string, secret: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: 10,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: VIEWER,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`the flood met ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result.requests.total / result.duration;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 3);
  const bench = await openBenchServices('sqlite');
  let server: ServerProcess | undefined;
  try {
    const fixture = await insertLoadFixture(bench.services, 10_000, 60);
    const options = bench.services.db.dataSource.options as { database?: unknown };
    server = await ServerProcess.start({
      DATABASE_URL: `sqlite:${String(options.database)}`,
      LOG_LEVEL: 'warn',
      COST_BUCKET_SIZE: UNLIMITED,
      COST_RESTORE_RATE: UNLIMITED,
      AUTH_FAILURES_PER_MINUTE: UNLIMITED,
    });
    const load = loadavg()[0].toFixed(1);
    await pageBackToBack(server.url, fixture.fullAccessSecret, 1);
    const paging: Awaited<ReturnType<typeof pageBackToBack>>[] = [];
    const flooding: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      progress(`round ${round} of ${rounds}`);
      paging.push(await pageBackToBack(server.url, fixture.fullAccessSecret, seconds));
      flooding.push(await flood(server.url, fixture.fullAccessSecret, seconds));
    }
    const points = median(paging.map((p) => p.pointsPerSecond));
    const viewers = median(flooding);
    const { costRestoreRate: rate, costPerRequest: base } = DEFAULT_LIMITS;
    console.log(
      `cost rates — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ` +
        `SQLite, load average ${load} at the start, ${rounds} rounds of ${seconds} s (medians)`,
    );
    console.table({
      'BI page: requested cost': paging[0].requested,
      'BI paging back to back: pages/s': round(median(paging.map((p) => p.pagesPerSecond)), 1),
      'BI paging back to back: points/s charged': Math.round(points),
      '{ viewer } flood, 10 connections: requests/s answered': Math.round(viewers),
      [`COST_RESTORE_RATE ${rate} ÷ BI points/s (≥ 2)`]: round(rate / points, 2),
      [`flood bound ${rate} ÷ ${base} = ${rate / base}/s ÷ answered (< 1)`]: round(
        rate / base / viewers,
        2,
      ),
    });
  } finally {
    await server?.stop();
    await bench.close();
  }
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
