import type { Server } from 'node:http';
import type { Services } from '../src/app';
import { createHttpApp } from '../src/server';
import { openBenchServices, type BenchDatabaseKind } from './bench-database';
import { cursorBefore, insertIncidents } from './incident-fixture';
import { progress } from './progress';
import { median } from './stats';

export interface PagingCost {
  incidents: number;
  deepPageRow: number;
  firstPageMs: number;
  deepPageMs: number;
  deepPageRatio: number;
  deepPageTarget: number;
  deepPageHolds: boolean;
  exportHttpRowsPerSecond: number;
  exportSqlRowsPerSecond: number;
  exportRatio: number;
}

const INCIDENTS = 100_000;
const DEEP_ROW = 90_000;
const PAGE = 1000;
const PAGE_ROUNDS = 15;
const EXPORT_ROUNDS = 3;
const TARGET = 1.5;
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

const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Issue 3: a deep keyset page must cost what the first does, and a full export over HTTP is
 * compared with the floor of the same rows read by a plain SELECT and serialized to JSON.
 */
export async function measurePagingCost(kind: BenchDatabaseKind): Promise<PagingCost> {
  const bench = await openBenchServices(kind);
  const { services } = bench;
  try {
    progress(`${kind}: inserting ${INCIDENTS.toLocaleString('en')} incidents`);
    const fixture = await insertIncidents(services, INCIDENTS);
    const { app, apollo } = await createHttpApp(services);
    const authorization = `Bearer ${fixture.readOnlySecret}`;
    const deep = await cursorBefore(services, fixture.organizationId, DEEP_ROW);

    // In-process through Apollo: the context is built before the clock starts.
    const page = async (after: string | null): Promise<number> => {
      const contextValue = await services.authenticator.authenticate(authorization, {
        id: 'bench',
        ip: '127.0.0.1',
        userAgent: 'bench',
      });
      const start = process.hrtime.bigint();
      const response = await apollo.executeOperation<NonNullable<PageResult['data']>>(
        { query: QUERY, variables: { after } },
        { contextValue },
      );
      const ms = elapsedMs(start);
      const result = response.body.kind === 'single' ? response.body.singleResult : null;
      const nodes = result?.data?.incidents.nodes ?? [];
      if (result?.errors || nodes.length !== PAGE || (after && nodes[0].id !== deep.firstId)) {
        throw new Error(`unexpected page: ${JSON.stringify(result?.errors ?? nodes.length)}`);
      }
      return ms;
    };
    progress(
      `${kind}: first page and page at row ${DEEP_ROW.toLocaleString('en')}, ${PAGE_ROUNDS} rounds`,
    );
    const first: number[] = [];
    const deepPage: number[] = [];
    for (let round = -3; round < PAGE_ROUNDS; round++) {
      // Side by side, alternating which goes first, so drift on a shared machine hits both.
      const pair =
        round % 2 === 0
          ? [await page(null), await page(deep.after)]
          : [await page(deep.after), await page(null)].reverse();
      if (round >= 0) {
        first.push(pair[0]);
        deepPage.push(pair[1]);
      }
    }

    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`;
    const http: number[] = [];
    const sql: number[] = [];
    for (let round = 0; round < EXPORT_ROUNDS; round++) {
      progress(`${kind}: export round ${round + 1} of ${EXPORT_ROUNDS}: HTTP, then plain SELECT`);
      http.push(await exportOverHttp(url, authorization));
      sql.push(await exportBySql(services, fixture.organizationId));
    }
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await apollo.stop();

    const firstPageMs = median(first);
    const deepPageMs = median(deepPage);
    const exportHttpRowsPerSecond = median(http);
    const exportSqlRowsPerSecond = median(sql);
    return {
      incidents: INCIDENTS,
      deepPageRow: DEEP_ROW,
      firstPageMs,
      deepPageMs,
      deepPageRatio: deepPageMs / firstPageMs,
      deepPageTarget: TARGET,
      deepPageHolds: deepPageMs / firstPageMs <= TARGET,
      exportHttpRowsPerSecond,
      exportSqlRowsPerSecond,
      exportRatio: exportHttpRowsPerSecond / exportSqlRowsPerSecond,
    };
  } finally {
    await bench.close();
  }
}

/** Rows per second pulling every incident page by page, as a BI export would (body parsed). */
async function exportOverHttp(url: string, authorization: string): Promise<number> {
  const start = process.hrtime.bigint();
  let rows = 0;
  let after: string | null = null;
  do {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: QUERY, variables: { after } }),
    });
    const body = (await response.json()) as PageResult;
    const incidents = body.data?.incidents;
    if (!incidents || body.errors) {
      throw new Error(`export failed: ${JSON.stringify(body.errors)}`);
    }
    rows += incidents.nodes.length;
    after = incidents.pageInfo.hasNextPage ? incidents.pageInfo.endCursor : null;
  } while (after !== null);
  return checkedRate(rows, start);
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
async function exportBySql(services: Services, organizationId: string): Promise<number> {
  const start = process.hrtime.bigint();
  let rows = 0;
  let last: ExportRow | undefined;
  for (;;) {
    const keyset = last ? 'AND (started_at, id) < (:afterValue, :afterId)' : '';
    // The driver writes its database's placeholders, as it does for the query builder behind the API.
    const page = await services.db.read<ExportRow>(
      `SELECT ${COLUMNS} FROM incident WHERE organization_id = :org AND deleted_at IS NULL
       ${keyset} ORDER BY started_at DESC, id DESC LIMIT ${PAGE}`,
      { org: organizationId, afterValue: last?.started_at, afterId: last?.id },
    );
    JSON.stringify(page);
    rows += page.length;
    last = page.at(-1);
    if (page.length < PAGE) {
      return checkedRate(rows, start);
    }
  }
}

function checkedRate(rows: number, start: bigint): number {
  if (rows !== INCIDENTS) {
    throw new Error(`export returned ${rows} rows instead of ${INCIDENTS}`);
  }
  return rows / (elapsedMs(start) / 1000);
}
