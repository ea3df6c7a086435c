import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { measureAuthCost } from './auth-cost';
import { measurePagingCost } from './paging';

// `npm run bench`: every figure a median, every comparison a ratio measured in the same run.
async function main(): Promise<void> {
  process.stderr.write('bench: authentication\n');
  const auth = await measureAuthCost();
  const paging = await measurePagingCost();
  const deepRow = paging.deepPageRow.toLocaleString('en');
  const rows: [string, string][] = [
    ['authenticate(), valid token (µs, median)', auth.authenticateValidUs.toFixed(1)],
    [
      'authenticate(), malformed token, no DB (µs, median)',
      auth.authenticateMalformedUs.toFixed(1),
    ],
    ['HTTP { viewer } with a valid token (µs, median)', auth.httpViewerUs.toFixed(0)],
    ['HTTP GET /healthz, no token (µs, median)', auth.httpHealthzUs.toFixed(0)],
    ['HTTP refused malformed token (µs, median)', auth.httpMalformedUs.toFixed(0)],
    ['ratio viewer / healthz', (auth.httpViewerUs / auth.httpHealthzUs).toFixed(2)],
    ['ratio viewer / malformed', (auth.httpViewerUs / auth.httpMalformedUs).toFixed(2)],
    ['incidents(first: 1000), first page, in-process (ms, median)', paging.firstPageMs.toFixed(1)],
    [`incidents(first: 1000), page at row ${deepRow} (ms, median)`, paging.deepPageMs.toFixed(1)],
    [
      `ratio deep page / first page (target ≤ ${paging.deepPageTarget})`,
      `${paging.deepPageRatio.toFixed(2)} (${paging.deepPageHolds ? 'holds' : 'MISSED'})`,
    ],
    [
      `export ${paging.incidents.toLocaleString('en')} incidents over HTTP (rows/s, median)`,
      paging.exportHttpRowsPerSecond.toFixed(0),
    ],
    [
      'export by plain SELECT + JSON.stringify (rows/s, median)',
      paging.exportSqlRowsPerSecond.toFixed(0),
    ],
    ['ratio HTTP export / plain SELECT', paging.exportRatio.toFixed(2)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(
    `statusgraph bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  );
  for (const [key, value] of rows) {
    console.log(`${key.padEnd(width)}  ${value}`);
  }
  writeFileSync(
    join(__dirname, '..', '..', 'bench', 'results.json'),
    JSON.stringify({ authentication: auth, paging }, null, 2) + '\n',
  );
}

void main();
