import { Agent, request } from 'node:http';
import type { Services } from '../src/app';
import { type HttpApp, listen } from '../src/server/http-app';
import { cursorBefore } from './incident-fixture';
import { peakRssMiB, resetPeakRss } from './memory';
import { progress } from './progress';
import { cpu, median, pairedRatio, sideBySide, startClocks, type Timing, wall } from './stats';

export const DEEP_PAGE_TARGET = 1.5;
export const EXPORT_TARGET = 0.65;

export interface DeepPages {
  incidents: number;
  deepPageRow: number;
  rounds: number;
  /** Median wall-clock ms. */
  firstPageMs: number;
  deepPageMs: number;
  /** Median of the round-by-round ratios deep / first, of CPU time (the target's measure). */
  deepPageRatio: number;
  /** The same on the wall clock, which a busy machine blurs. */
  deepPageRatioWall: number;
  deepPageTarget: number;
}

export interface ExportCost {
  incidents: number;
  rounds: number;
  /** Rows over the wall-clock time of their pages, median of the rounds. */
  exportHttpRowsPerSecond: number;
  exportSqlRowsPerSecond: number;
  /** Median of the round-by-round ratios HTTP / SELECT of rows per second (the target's). */
  exportRatio: number;
  /** The same of rows per CPU second of this process (server, client and floor alike). */
  exportRatioCpu: number;
  /** The wall-clock ratio with the client's JSON.parse of each page counted in the API's time. */
  exportRatioClientParsed: number;
  exportTarget: number;
  /** Peak RSS of the bench process (server and client) during the HTTP exports, MiB. */
  exportPeakRssMiB: number;
  /** False when the peak could not be reset first (not Linux): it then counts from the start. */
  exportPeakRssIsolated: boolean;
}

const PAGE = 1000;
const FIELDS = `id name details severity phase startedAt resolvedAt willStartAt willEndAt
  createdAt updatedAt deletedAt`;
const QUERY = `query($after: String) { incidents(first: ${PAGE}, after: $after) {
  nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } } }`;
const COLUMNS = `id, name, details, severity, phase, started_at, resolved_at, will_start_at,
  will_end_at, created_at, updated_at, deleted_at`;

interface PageResult {
  data?: {
    incidents: {
      nodes: { id: string }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  } | null;
  errors?: unknown[];
}

/**
 * Figure 5: a deep keyset page must cost what the first does. In-process through Apollo, the
 * context built before the clock starts; first and deep page side by side in each round.
 */
export async function measureDeepPages(
  services: Services,
  { apollo }: HttpApp,
  organizationId: string,
  secret: string,
  incidents: number,
  deepPageRow: number,
  rounds: number,
): Promise<DeepPages> {
  const deep = await cursorBefore(services, organizationId, deepPageRow);
  const page = async (after: string | null): Promise<Timing> => {
    const contextValue = await services.authenticator.authenticate(`Bearer ${secret}`, {
      id: 'bench',
      ip: '127.0.0.1',
      userAgent: 'bench',
    });
    const stop = startClocks();
    const response = await apollo.executeOperation<NonNullable<PageResult['data']>>(
      { query: QUERY, variables: { after } },
      { contextValue },
    );
    const ms = stop();
    const result = response.body.kind === 'single' ? response.body.singleResult : null;
    const nodes = result?.data?.incidents.nodes ?? [];
    if (result?.errors || nodes.length !== PAGE || (after && nodes[0].id !== deep.firstId)) {
      throw new Error(`unexpected page: ${JSON.stringify(result?.errors ?? nodes.length)}`);
    }
    return ms;
  };
  const samples = await sideBySide(
    { first: () => page(null), deep: () => page(deep.after) },
    rounds,
    3,
  );
  return {
    incidents,
    deepPageRow,
    rounds,
    firstPageMs: median(wall(samples.first)),
    deepPageMs: median(wall(samples.deep)),
    deepPageRatio: pairedRatio(cpu(samples.deep), cpu(samples.first)),
    deepPageRatioWall: pairedRatio(wall(samples.deep), wall(samples.first)),
    deepPageTarget: DEEP_PAGE_TARGET,
  };
}

/**
 * Figure 4 (and the export's part of figure 7): every incident in pages of 1000 over HTTP, as a
 * BI export pulls them, against the floor of the same rows read by a plain SELECT through the
 * same driver and serialized to JSON. The two walk their pages in step, page by page (which goes
 * first alternating), so that a busy moment on a shared machine falls on both alike; each one's
 * rate is its rows over the sum of its own page times.
 */
export async function measureExport(
  services: Services,
  { listener }: HttpApp,
  organizationId: string,
  secret: string,
  incidents: number,
  rounds: number,
): Promise<ExportCost> {
  const server = await listen(listener, 0, '127.0.0.1');
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const perSecond = (ms: number) => incidents / (ms / 1000);
  const http: Timing[] = [];
  const httpParsed: Timing[] = [];
  const sql: Timing[] = [];
  let peak = 0;
  let isolated = true;
  try {
    for (let round = -1; round < rounds; round++) {
      progress(
        `export over HTTP and by plain SELECT, page by page: round ${round + 2} of ${rounds + 1}`,
      );
      isolated = resetPeakRss() && isolated;
      const [overHttp, bySql] = await inStep(
        httpPages(url, agent, `Bearer ${secret}`),
        sqlPages(services, organizationId),
        round % 2 === 0,
      );
      peak = Math.max(peak, peakRssMiB());
      if (round >= 0) {
        const served = checked(overHttp, incidents);
        http.push(served);
        httpParsed.push({ ms: served.ms + overHttp.parseMs, cpuMs: served.cpuMs });
        sql.push(checked(bySql, incidents));
      }
    }
    return {
      incidents,
      rounds,
      exportHttpRowsPerSecond: median(wall(http).map(perSecond)),
      exportSqlRowsPerSecond: median(wall(sql).map(perSecond)),
      // Rows per second: the floor's time over the API's.
      exportRatio: pairedRatio(wall(sql), wall(http)),
      exportRatioCpu: pairedRatio(cpu(sql), cpu(http)),
      exportRatioClientParsed: pairedRatio(wall(sql), wall(httpParsed)),
      exportTarget: EXPORT_TARGET,
      exportPeakRssMiB: peak,
      exportPeakRssIsolated: isolated,
    };
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** One page of an export, or a whole one: how many rows, how long on either clock. */
interface PageTime extends Timing {
  rows: number;
  /** The client's JSON.parse of the page (HTTP only; 0 for the floor). */
  parseMs: number;
}

type Totals = PageTime;

/** Runs two exports a page at a time in turn, `bFirst` deciding who starts each turn. */
async function inStep(
  a: AsyncGenerator<PageTime>,
  b: AsyncGenerator<PageTime>,
  bFirst: boolean,
): Promise<[Totals, Totals]> {
  const totals: [Totals, Totals] = [
    { rows: 0, ms: 0, cpuMs: 0, parseMs: 0 },
    { rows: 0, ms: 0, cpuMs: 0, parseMs: 0 },
  ];
  const done = [false, false];
  const exports = [a, b] as const;
  const order = bFirst ? [1, 0] : [0, 1];
  while (!done[0] || !done[1]) {
    for (const i of order) {
      if (!done[i]) {
        const next = await exports[i].next();
        if (next.done) {
          done[i] = true;
        } else {
          totals[i].rows += next.value.rows;
          totals[i].ms += next.value.ms;
          totals[i].cpuMs += next.value.cpuMs;
          totals[i].parseMs += next.value.parseMs;
        }
      }
    }
  }
  return totals;
}

/**
 * Every incident page by page over HTTP, as a BI export pulls them: each body parsed for the
 * next cursor. The client is node:http with keep-alive, not fetch: undici's fetch costs about
 * 2.5 ms more per 400 KB page here, in this same process, and that is not the server's cost.
 */
async function* httpPages(
  url: string,
  agent: Agent,
  authorization: string,
): AsyncGenerator<PageTime> {
  let after: string | null = null;
  do {
    const stop = startClocks();
    const text = await postJson(url, agent, authorization, { query: QUERY, variables: { after } });
    // The page to its last byte: what the server and the transport spent. The client's parse
    // (this same process, ~3 ms for 400 KB) is timed apart: the floor has no client to parse for.
    const served = stop();
    const stopParse = startClocks();
    const body = JSON.parse(text) as PageResult;
    const parsed = stopParse();
    const incidents = body.data?.incidents;
    if (!incidents || body.errors) {
      throw new Error(`export failed: ${JSON.stringify(body.errors)}`);
    }
    after = incidents.pageInfo.hasNextPage ? incidents.pageInfo.endCursor : null;
    yield { rows: incidents.nodes.length, ...served, parseMs: parsed.ms };
  } while (after !== null);
}

function postJson(
  url: string,
  agent: Agent,
  authorization: string,
  payload: unknown,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(payload));
  });
}

/**
 * A row of the plain SELECT as the driver returns it: SQLite keeps timestamps as
 * `YYYY-MM-DD HH:MM:SS.SSS` text, PostgreSQL's driver parses timestamptz into a Date. Either way
 * the value goes back unchanged as the keyset parameter, so it compares exactly as stored.
 */
interface ExportRow {
  started_at: string | Date;
  id: string;
}

/** The floor: the same columns, the same keyset, the same driver, JSON.stringify per page. */
async function* sqlPages(services: Services, organizationId: string): AsyncGenerator<PageTime> {
  let last: ExportRow | undefined;
  for (;;) {
    const stop = startClocks();
    const keyset = last ? 'AND (started_at, id) < (:afterValue, :afterId)' : '';
    // The driver writes its database's placeholders, as it does for the query builder behind the API.
    const page = await services.db.read<ExportRow>(
      `SELECT ${COLUMNS} FROM incident WHERE organization_id = :org AND deleted_at IS NULL
       ${keyset} ORDER BY started_at DESC, id DESC LIMIT ${PAGE}`,
      { org: organizationId, afterValue: last?.started_at, afterId: last?.id },
    );
    JSON.stringify(page);
    last = page.at(-1);
    yield { rows: page.length, ...stop(), parseMs: 0 };
    if (page.length < PAGE) {
      return;
    }
  }
}

/** The export's times, once it is known to have brought every row. */
function checked({ rows, ms, cpuMs }: Totals, expected: number): Timing {
  if (rows !== expected) {
    throw new Error(`export returned ${rows} rows instead of ${expected}`);
  }
  return { ms, cpuMs };
}
