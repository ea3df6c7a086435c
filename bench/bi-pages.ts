import type { BenchServices } from './bench-database';
import { BenchServer } from './bench-server';
import { BI_PAGE_QUERIES, type BiPageName } from './bi-floor';
import { insertIncidents } from './incident-fixture';
import { progress } from './progress';
import { median, pairedRatio } from './stats';
import { load } from './throughput';

/** Issue 17: a BI page over HTTP at no less than this share of its floor's requests per second. */
export const BI_PAGE_TARGET = 0.65;

export interface BiPageFigure {
  /** Requests per second (every answer 200 with the expected body), median of the rounds. */
  api: number;
  floor: number;
  /** Median of the round-by-round ratios API ÷ floor. */
  ratio: number;
}

export interface BiPages {
  durationSeconds: number;
  connections: number;
  rounds: number;
  board: BiPageFigure;
  readme: BiPageFigure;
  target: number;
}

const ROWS = 2000;

/**
 * Figure 8: the BI pages over HTTP (autocannon, `connections` at once) against their floors
 * (bench/bi-floor.ts: the same rows straight from the driver, serialized), each in a process of
 * its own on one database, loaded one at a time, which goes first alternating from round to round.
 */
export async function measureBiPages(
  bench: BenchServices,
  durationSeconds: number,
  connections: number,
  rounds: number,
): Promise<BiPages> {
  const fixture = await insertIncidents(bench.services, ROWS, { monitors: 30, linked: ROWS });
  const api = await BenchServer.start({ database: bench.database, authorization: true });
  let floor: BenchServer | undefined;
  try {
    floor = await BenchServer.start({
      database: bench.database,
      authorization: true,
      floor: true,
    });
    const figure = async (page: BiPageName): Promise<BiPageFigure> => {
      const urls = {
        api: `${api.url}/graphql`,
        floor: `${floor?.url}/floor/${page}?org=${fixture.organizationId}`,
      };
      const body = JSON.stringify({ query: BI_PAGE_QUERIES[page] });
      const samples = { api: [] as number[], floor: [] as number[] };
      const order = ['api', 'floor'] as const;
      for (let round = 0; round < rounds; round++) {
        for (const key of round % 2 === 0 ? order : [...order].reverse()) {
          progress(
            `BI page (${page}), ${key}, ${durationSeconds} s (round ${round + 1} of ${rounds})`,
          );
          samples[key].push(
            await load(urls[key], fixture.readOnlySecret, body, {
              duration: durationSeconds,
              connections,
            }),
          );
        }
      }
      return {
        api: median(samples.api),
        floor: median(samples.floor),
        ratio: pairedRatio(samples.api, samples.floor),
      };
    };
    return {
      durationSeconds,
      connections,
      rounds,
      board: await figure('board'),
      readme: await figure('readme'),
      target: BI_PAGE_TARGET,
    };
  } finally {
    await floor?.stop();
    await api.stop();
  }
}
