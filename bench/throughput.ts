import autocannon from 'autocannon';
import { TokenPermission } from '../src/tokens/token-permission';
import type { BenchServices } from './bench-database';
import { BenchServer } from './bench-server';
import { insertIncidents } from './incident-fixture';
import { progress } from './progress';
import { median, pairedRatio } from './stats';

export const LAST_USE_TARGET = 1;

export interface Throughput {
  /** Requests per second (2xx only; any other answer fails the bench), median of the rounds. */
  withAuthorization: number;
  withoutAuthorization: number;
  /** Median of the round-by-round ratios with / without. */
  ratio: number;
}

export interface ThroughputCost {
  durationSeconds: number;
  connections: number;
  rounds: number;
  viewer: Throughput;
  biPage: Throughput & { rows: number };
  /** Peak RSS of the server (with authorization) during its load runs, MiB. */
  serverPeakRssMiB: number;
  serverPeakRssIsolated: boolean;
}

export interface LastUseWrites {
  requests: number;
  seconds: number;
  writes: number;
  target: number;
}

const BI_ROWS = 1000;
const VIEWER = JSON.stringify({ query: '{ viewer { permission } }' });
const BI_PAGE = JSON.stringify({
  query: `{ incidents(first: ${BI_ROWS}) { nodes { id name details severity phase startedAt
    resolvedAt willStartAt willEndAt createdAt updatedAt deletedAt }
    pageInfo { hasNextPage endCursor } } }`,
});
const LAST_USE_REQUESTS = 10_000;

/**
 * Figures 3 and 6, and the server's part of figure 7. Two servers, each in a process of its
 * own, on one database: as main.ts builds it, and with the bench-only switch that leaves
 * authorization out. autocannon (in this process) loads one at a time, alternating which goes
 * first from round to round; every answer must be 200 with the very body a single request gets.
 */
export async function measureThroughput(
  bench: BenchServices,
  durationSeconds: number,
  connections: number,
  rounds: number,
): Promise<{ throughput: ThroughputCost; lastUse: LastUseWrites }> {
  const { services } = bench;
  const fixture = await insertIncidents(services, BI_ROWS * 2);
  // A token of its own, first used by figure 6: its writes are the only ones during that run.
  const { secret: lastUseSecret } = await services.db.write((manager) =>
    services.tokens.insert(manager, fixture.organizationId, {
      name: 'Bench last use',
      permission: TokenPermission.READ_ONLY,
    }),
  );
  const secured = await BenchServer.start({ database: bench.database, authorization: true });
  let unsecured: BenchServer | undefined;
  try {
    unsecured = await BenchServer.start({ database: bench.database, authorization: false });

    progress(`${LAST_USE_REQUESTS.toLocaleString('en')} requests by one token: last-use writes`);
    const before = await secured.stats();
    const started = process.hrtime.bigint();
    // `load` sends one request alone first (the body every other must match): 10,000 in all.
    await load(`${secured.url}/graphql`, lastUseSecret, VIEWER, {
      amount: LAST_USE_REQUESTS - 1,
      connections,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // The first use is written in the background: give it a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lastUse: LastUseWrites = {
      requests: LAST_USE_REQUESTS,
      seconds,
      writes: (await secured.stats()).lastUseWrites - before.lastUseWrites,
      target: LAST_USE_TARGET,
    };

    const isolated = await secured.resetPeak();
    const servers = { withAuthorization: secured, withoutAuthorization: unsecured };
    const compare = async (name: string, body: string): Promise<Throughput> => {
      const samples = { withAuthorization: [] as number[], withoutAuthorization: [] as number[] };
      const order = ['withAuthorization', 'withoutAuthorization'] as const;
      for (let round = 0; round < rounds; round++) {
        for (const key of round % 2 === 0 ? order : [...order].reverse()) {
          progress(`${name}, ${key}, ${durationSeconds} s (round ${round + 1} of ${rounds})`);
          samples[key].push(
            await load(`${servers[key].url}/graphql`, fixture.readOnlySecret, body, {
              duration: durationSeconds,
              connections,
            }),
          );
        }
      }
      return {
        withAuthorization: median(samples.withAuthorization),
        withoutAuthorization: median(samples.withoutAuthorization),
        ratio: pairedRatio(samples.withAuthorization, samples.withoutAuthorization),
      };
    };
    const viewer = await compare('HTTP { viewer }', VIEWER);
    const biPage = await compare(`HTTP BI page of ${BI_ROWS} rows`, BI_PAGE);
    return {
      throughput: {
        durationSeconds,
        connections,
        rounds,
        viewer,
        biPage: { ...biPage, rows: BI_ROWS },
        serverPeakRssMiB: (await secured.stats()).peakRssMiB,
        serverPeakRssIsolated: isolated,
      },
      lastUse,
    };
  } finally {
    await unsecured?.stop();
    await secured.stop();
  }
}

/**
 * One autocannon run against `url`; 2xx requests per second. The body every request must get
 * is the one a single request got just before: anything else (an error, a 429) fails the run.
 */
export async function load(
  url: string,
  secret: string,
  body: string,
  limit: { duration: number; connections: number } | { amount: number; connections: number },
): Promise<number> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };
  const expected = await fetch(url, { method: 'POST', headers, body });
  const expectBody = await expected.text();
  if (
    expected.status !== 200 ||
    !expectBody.startsWith('{"data"') ||
    expectBody.includes('"errors"')
  ) {
    throw new Error(`${url} answered ${expected.status}: ${expectBody.slice(0, 300)}`);
  }
  // The data must be the same; the cost extension's `currentlyAvailable` moves with the
  // reservations of the requests running beside this one.
  const expectData = withoutExtensions(expectBody);
  const verifyBody = (got: string | Buffer | undefined) =>
    withoutExtensions(String(got)) === expectData;
  const result = await autocannon({ url, method: 'POST', headers, body, verifyBody, ...limit });
  if (result.non2xx > 0 || result.errors > 0 || result.mismatches > 0) {
    throw new Error(
      `load on ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.mismatches} unexpected bodies`,
    );
  }
  return result['2xx'] / result.duration;
}

function withoutExtensions(body: string): string {
  const at = body.lastIndexOf(',"extensions":');
  return at < 0 ? body : body.slice(0, at);
}
