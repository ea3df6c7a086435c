// As main.ts: graphql-js in production mode, so the bench measures what a deployment runs.
import '../src/core/production-mode';
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Services } from '../src/app';
import { isoTimestamp } from '../src/db/raw-rows';
import { EXPORT_FORMATS, type ExportRecord } from '../src/server/exports/export-formats';
import { exportLists } from '../src/server/exports/export-lists';
import { type BenchDatabaseKind, openBenchServices } from './bench-database';
import { BenchServer } from './bench-server';
import { insertIncidents } from './incident-fixture';
import { progress } from './progress';
import { elapsedMs, median } from './stats';

/**
 * API.md section 12's figures: an export's rows a second against the floor — the same rows
 * (incidents with their monitor ids, in the list's order, 1000 a page by keyset) read straight
 * from the driver and serialized by the same formatter, in this process, no HTTP — side by side
 * in one run, NDJSON and CSV; and the server process's peak RSS while it exports a small and a
 * large organization, which must not grow with the row count.
 *
 *   npm run bench:exports [-- --db postgres] [--rows 100000] [--rounds 3]
 *   npm run bench:exports -- --rows 1000000 --rounds 0    (the memory figure alone)
 */
const USAGE = 'usage: npm run bench:exports [-- [--db postgres] [--rows N] [--rounds N]]';
const SMALL = 10_000;
const PAGE = 1000;
const FORMATS = ['ndjson', 'csv'] as const;
type Format = (typeof FORMATS)[number];

const COLUMNS = exportLists({} as never).get('incidents')?.columns ?? [];
const SELECT = `SELECT i.id, i.board_id AS "boardId", i.name, i.details, i.severity, i.phase,
  i.started_at AS "startedAt", i.resolved_at AS "resolvedAt", i.will_start_at AS "willStartAt",
  i.will_end_at AS "willEndAt", i.created_at AS "createdAt", i.updated_at AS "updatedAt",
  i.deleted_at AS "deletedAt" FROM incident i WHERE i.organization_id = :org AND i.deleted_at IS NULL`;
const TIMESTAMPS = [
  'startedAt',
  'resolvedAt',
  'willStartAt',
  'willEndAt',
  'createdAt',
  'updatedAt',
  'deletedAt',
];

/** The floor: every row by keyset pages straight from the driver, serialized; rows and bytes. */
async function floor(services: Services, org: string, format: Format) {
  const { db } = services;
  const writer = EXPORT_FORMATS[format];
  let bytes = writer.head(COLUMNS).length;
  let rows = 0;
  let after: { startedAt: string | Date; id: string } | null = null;
  for (;;) {
    const keyset = after ? ' AND (i.started_at, i.id) < (:afterValue, :afterId)' : '';
    const page: Record<string, string | Date | null>[] = await db.read(
      `${SELECT}${keyset} ORDER BY i.started_at DESC, i.id DESC LIMIT ${PAGE}`,
      { org, afterValue: after?.startedAt, afterId: after?.id },
    );
    if (page.length === 0) {
      break;
    }
    const links = await db.read<{ incidentId: string; monitorId: string }>(
      `SELECT im.incident_id AS "incidentId", m.id AS "monitorId" FROM incident_monitor im
       JOIN monitor m ON m.id = im.monitor_id
       WHERE im.incident_id IN (:...ids) AND m.organization_id = :org
       ORDER BY m.display_name, m.id`,
      { ids: page.map((row) => row.id), org },
    );
    const byIncident = new Map<string, string[]>();
    for (const { incidentId, monitorId } of links) {
      byIncident.set(incidentId, [...(byIncident.get(incidentId) ?? []), monitorId]);
    }
    let chunk = '';
    for (const raw of page) {
      const record: ExportRecord = { ...(raw as ExportRecord) };
      for (const key of TIMESTAMPS) {
        record[key] = isoTimestamp(raw[key]);
      }
      record.monitorIds = byIncident.get(raw.id as string) ?? [];
      chunk += writer.row(record, COLUMNS);
    }
    bytes += Buffer.byteLength(chunk);
    rows += page.length;
    const last = page[page.length - 1];
    after = { startedAt: last.startedAt as string | Date, id: last.id as string };
    if (page.length < PAGE) {
      break;
    }
  }
  return { rows, bytes };
}

/** The export over HTTP from the server process, read to its end; rows and bytes. */
async function exported(url: string, secret: string, format: Format) {
  const response = await fetch(`${url}/export/incidents.${format}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  if (response.status !== 200 || !response.body) {
    throw new Error(`export answered ${response.status}: ${await response.text()}`);
  }
  let bytes = 0;
  let newlines = 0;
  for await (const chunk of response.body) {
    const data = chunk as Uint8Array;
    bytes += data.length;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 10) {
        newlines++;
      }
    }
  }
  // CSV: the header row is one line; no text of the fixture holds a line break.
  return { rows: format === 'csv' ? newlines - 1 : newlines, bytes };
}

function options(argv: string[]): { db: BenchDatabaseKind; rows: number; rounds: number } {
  const found = { db: 'sqlite' as BenchDatabaseKind, rows: 100_000, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--db' && (value === 'sqlite' || value === 'postgres')) {
      found.db = value;
    } else if (flag === '--rows' && Number.isInteger(Number(value)) && Number(value) > 0) {
      found.rows = Number(value);
    } else if (flag === '--rounds' && Number.isInteger(Number(value)) && Number(value) >= 0) {
      // 0: the memory figure alone (the 1,000,000-row run).
      found.rounds = Number(value);
    } else {
      throw new Error(USAGE);
    }
  }
  return found;
}

async function main(): Promise<void> {
  const { db, rows, rounds } = options(process.argv.slice(2));
  const bench = await openBenchServices(db);
  let server: BenchServer | undefined;
  try {
    const { services } = bench;
    const links = (count: number) => ({ monitors: 30, linked: count });
    progress(`exports bench (${db}): inserting ${SMALL} and ${rows} incidents…`);
    const small = await insertIncidents(services, SMALL, links(SMALL));
    const large = await insertIncidents(services, rows, links(rows));
    server = await BenchServer.start({
      database: bench.database,
      authorization: true,
      exposeGc: true,
    });
    const throughput: Record<string, unknown> = {};
    for (const format of rounds > 0 ? FORMATS : []) {
      const floorRates: number[] = [];
      const exportRates: number[] = [];
      // Side by side, alternating, so both see the same machine.
      for (let round = 0; round < rounds; round++) {
        let start = process.hrtime.bigint();
        const direct = await floor(services, large.organizationId, format);
        floorRates.push(direct.rows / (elapsedMs(start) / 1000));
        start = process.hrtime.bigint();
        const http = await exported(server.url, large.readOnlySecret, format);
        exportRates.push(http.rows / (elapsedMs(start) / 1000));
        if (http.rows !== direct.rows || http.rows !== rows) {
          throw new Error(
            `${format}: the export sent ${http.rows} rows, the floor read ${direct.rows}`,
          );
        }
        progress(
          `  ${format} round ${round + 1}: floor ${Math.round(floorRates[round])} rows/s, export ${Math.round(exportRates[round])} rows/s`,
        );
      }
      const ratio = median(exportRates) / median(floorRates);
      throughput[format] = {
        floorRowsPerSecond: Math.round(median(floorRates)),
        exportRowsPerSecond: Math.round(median(exportRates)),
        ratio: Math.round(ratio * 100) / 100,
        target: 0.8,
      };
    }
    const memory: Record<string, number> = {};
    // One unmeasured export first: V8's heap grows to its working size on the first pages of
    // any export; the peaks compared are those of a server in service, at a small and a large one.
    await exported(server.url, small.readOnlySecret, 'ndjson');
    for (const [label, fixture, count] of [
      ['small', small, SMALL],
      ['large', large, rows],
    ] as const) {
      await server.resetPeak();
      const http = await exported(server.url, fixture.readOnlySecret, 'ndjson');
      if (http.rows !== count) {
        throw new Error(`the ${label} export sent ${http.rows} rows of ${count}`);
      }
      const stats = await server.stats();
      const mib = (value: number) => Math.round(value * 10) / 10;
      memory[`peakRssMiBAt${count}Rows`] = mib(stats.peakRssMiB);
      // What stays once the export is over: the rows are gone, or they would show here.
      memory[`retainedHeapMiBAfter${count}Rows`] = mib(stats.retainedHeapMiB ?? NaN);
      progress(
        `  exporting ${count} rows: peak RSS ${memory[`peakRssMiBAt${count}Rows`]} MiB, ` +
          `heap in use after it (after a full collection) ${memory[`retainedHeapMiBAfter${count}Rows`]} MiB`,
      );
    }
    const result = {
      database: db,
      rows,
      rounds,
      command: `npm run bench:exports -- --db ${db} --rows ${rows}`,
      throughput,
      memory,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      join(__dirname, '..', '..', 'bench', `exports-results-${db}-${rows}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    await server?.stop();
    await bench.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
