import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { measureAuthCost } from './auth-cost';

// `npm run bench`: every figure a median, every comparison a ratio measured in the same run.
async function main(): Promise<void> {
  const auth = await measureAuthCost();
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
    JSON.stringify({ authentication: auth }, null, 2) + '\n',
  );
}

void main();
