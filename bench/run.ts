import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { measureAuthCost, type AuthCost } from './auth-cost';
import type { BenchDatabaseKind } from './bench-database';
import { measurePagingCost, type PagingCost } from './paging';
import { progress } from './progress';

interface BenchResult {
  authentication: AuthCost;
  paging: PagingCost;
}

/** A wrong command line: its message alone says what to type instead. */
class UsageError extends Error {}

const COLUMN_TITLES: Record<BenchDatabaseKind, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
};

/**
 * The databases to measure: SQLite always (the default database, and the column every other
 * is read against), PostgreSQL beside it with `--db postgres` or `--db=postgres`.
 */
function databasesFromArgs(args: string[]): BenchDatabaseKind[] {
  let db = 'sqlite';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--db') {
      db = args[++i] ?? '';
    } else if (args[i].startsWith('--db=')) {
      db = args[i].slice('--db='.length);
    } else {
      throw new UsageError(`unknown argument ${args[i]}; usage: npm run bench [-- --db postgres]`);
    }
  }
  if (db !== 'sqlite' && db !== 'postgres') {
    throw new UsageError(`--db must be sqlite or postgres, not "${db}"`);
  }
  return db === 'postgres' ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** One line per figure: its label, then its value in the run of each database. */
function figureRows(results: BenchResult[]): string[][] {
  const { paging } = results[0];
  const row = (label: string, value: (result: BenchResult) => string) => [
    label,
    ...results.map(value),
  ];
  return [
    row('authenticate(), valid token (µs, median)', (r) =>
      r.authentication.authenticateValidUs.toFixed(1),
    ),
    row('authenticate(), malformed token, no DB (µs, median)', (r) =>
      r.authentication.authenticateMalformedUs.toFixed(1),
    ),
    row('HTTP { viewer } with a valid token (µs, median)', (r) =>
      r.authentication.httpViewerUs.toFixed(0),
    ),
    row('HTTP GET /healthz, no token (µs, median)', (r) =>
      r.authentication.httpHealthzUs.toFixed(0),
    ),
    row('HTTP refused malformed token (µs, median)', (r) =>
      r.authentication.httpMalformedUs.toFixed(0),
    ),
    row('ratio viewer / healthz', (r) =>
      (r.authentication.httpViewerUs / r.authentication.httpHealthzUs).toFixed(2),
    ),
    row('ratio viewer / malformed', (r) =>
      (r.authentication.httpViewerUs / r.authentication.httpMalformedUs).toFixed(2),
    ),
    row('incidents(first: 1000), first page, in-process (ms, median)', (r) =>
      r.paging.firstPageMs.toFixed(1),
    ),
    row(
      `incidents(first: 1000), page at row ${paging.deepPageRow.toLocaleString('en')} (ms, median)`,
      (r) => r.paging.deepPageMs.toFixed(1),
    ),
    row(
      `ratio deep page / first page (target ≤ ${paging.deepPageTarget})`,
      (r) =>
        `${r.paging.deepPageRatio.toFixed(2)} (${r.paging.deepPageHolds ? 'holds' : 'MISSED'})`,
    ),
    row(
      `export ${paging.incidents.toLocaleString('en')} incidents over HTTP (rows/s, median)`,
      (r) => r.paging.exportHttpRowsPerSecond.toFixed(0),
    ),
    row('export by plain SELECT + JSON.stringify (rows/s, median)', (r) =>
      r.paging.exportSqlRowsPerSecond.toFixed(0),
    ),
    row('ratio HTTP export / plain SELECT', (r) => r.paging.exportRatio.toFixed(2)),
  ];
}

// `npm run bench [-- --db postgres]`: every figure a median, every comparison a ratio measured
// in the same run; each database is measured on its own, one after the other, so they never
// share the two cores.
async function main(): Promise<void> {
  const databases = databasesFromArgs(process.argv.slice(2));
  const results: BenchResult[] = [];
  for (const kind of databases) {
    progress(`${kind}: authentication`);
    const authentication = await measureAuthCost(kind);
    const paging = await measurePagingCost(kind);
    results.push({ authentication, paging });
  }
  const rows = [
    ['figure', ...databases.map((kind) => COLUMN_TITLES[kind])],
    ...figureRows(results),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((r) => r[column].length)));
  console.log(
    `statusgraph bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  );
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
  }
  writeFileSync(
    join(__dirname, '..', '..', 'bench', 'results.json'),
    JSON.stringify(Object.fromEntries(databases.map((kind, i) => [kind, results[i]])), null, 2) +
      '\n',
  );
}

main().catch((error: unknown) => {
  const text =
    error instanceof UsageError ? error.message : error instanceof Error ? error.stack : '';
  process.stderr.write(`bench: ${text || String(error)}\n`);
  process.exitCode = 1;
});
