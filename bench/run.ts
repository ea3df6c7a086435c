// As main.ts: graphql-js in production mode, so the bench measures what a deployment runs.
import '../src/core/production-mode';
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createHttpApp, type HttpApp } from '../src/server/http-app';
import { measureAuthCost, type AuthCost } from './auth-cost';
import { measureAuthorizationOverhead, type AuthorizationOverhead } from './authorization-overhead';
import { openBenchServices, type BenchDatabaseKind } from './bench-database';
import { measureBiPages, type BiPages } from './bi-pages';
import { insertIncidents } from './incident-fixture';
import { loadRunMemory, type LoadRunMemory } from './memory';
import { measureDeepPages, measureExport, type DeepPages, type ExportCost } from './paging';
import { progress } from './progress';
import { elapsedMs } from './stats';
import { measureThroughput, type LastUseWrites, type ThroughputCost } from './throughput';

/** A wrong command line: its message alone says what to type instead. */
class UsageError extends Error {}

const USAGE = 'usage: npm run bench [-- [--db postgres] [--ci | --only <figure,…>]]';

/** The figures, by the names `--only` takes. */
const FIGURES = ['authorization', 'authentication', 'throughput', 'export', 'deep', 'bi'] as const;
type Figure = (typeof FIGURES)[number];

interface Options {
  databases: BenchDatabaseKind[];
  figures: Set<Figure>;
  ci: boolean;
}

/** How much each figure measures: the full bench, or the quick CI subset. */
const SIZES = {
  full: { overheadRounds: 15, deepRounds: 15, exportRounds: 3, loadSeconds: 10, loadRounds: 3 },
  ci: { overheadRounds: 7, deepRounds: 9, exportRounds: 0, loadSeconds: 0, loadRounds: 0 },
};
const INCIDENTS = 100_000;
const DEEP_ROW = 90_000;
/** Monitors on the large fixture's board, and the newest incidents (ten pages) affecting them. */
const LINKS = { monitors: 30, linked: 10_000 };
const LOAD_CONNECTIONS = 10;
/** `--ci` fails when a ratio misses its target by this factor or more (a regression, not noise). */
const CI_MARGIN = 1.5;

interface DatabaseResult {
  authorizationOverhead?: AuthorizationOverhead;
  authentication?: AuthCost;
  throughput?: ThroughputCost;
  lastUse?: LastUseWrites;
  export?: ExportCost;
  deepPages?: DeepPages;
  biPages?: BiPages;
  seconds: number;
}

const COLUMN_TITLES: Record<BenchDatabaseKind, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
};

function optionsFromArgs(args: string[]): Options {
  let db = 'sqlite';
  let ci = false;
  let only: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2);
    if (flag === '--ci' && inline === undefined) {
      ci = true;
    } else if (flag === '--db' || flag === '--only') {
      const value = inline ?? args[++i] ?? '';
      if (flag === '--db') {
        db = value;
      } else {
        only = value;
      }
    } else {
      throw new UsageError(`unknown argument ${args[i]}; ${USAGE}`);
    }
  }
  if (db !== 'sqlite' && db !== 'postgres') {
    throw new UsageError(`--db must be sqlite or postgres, not "${db}"`);
  }
  const names = only?.split(',').map((name) => name.trim()) ?? [...FIGURES];
  const unknown = names.filter((name) => !(FIGURES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(`--only takes a comma-separated list of ${FIGURES.join(', ')}`);
  }
  if (ci && only !== undefined) {
    throw new UsageError('--ci measures its own subset (authorization, deep); drop --only');
  }
  return {
    // SQLite always (the default database, the column every other is read against).
    databases: db === 'postgres' ? ['sqlite', 'postgres'] : ['sqlite'],
    figures: new Set((ci ? ['authorization', 'deep'] : names) as Figure[]),
    ci,
  };
}

async function measure(kind: BenchDatabaseKind, options: Options): Promise<DatabaseResult> {
  const started = process.hrtime.bigint();
  const size = options.ci ? SIZES.ci : SIZES.full;
  const result: DatabaseResult = { seconds: 0 };
  const wants = (figure: Figure) => options.figures.has(figure);

  if (wants('authentication')) {
    progress(`${kind}: figure 2, authentication`);
    result.authentication = await measureAuthCost(kind);
  }

  if (wants('authorization') || wants('deep') || wants('export')) {
    const bench = await openBenchServices(kind);
    const apps: HttpApp[] = [];
    try {
      const { services } = bench;
      progress(`${kind}: inserting ${INCIDENTS.toLocaleString('en')} incidents`);
      const fixture = await insertIncidents(services, INCIDENTS, LINKS);
      const secured = await createHttpApp(services);
      apps.push(secured);
      if (wants('authorization')) {
        // The bench-only switch: the same server without the shield middleware.
        const unsecured = await createHttpApp(services, {}, { authorization: false });
        apps.push(unsecured);
        progress(`${kind}: figure 1, authorization overhead, ${size.overheadRounds} rounds`);
        result.authorizationOverhead = await measureAuthorizationOverhead(
          services,
          secured,
          unsecured,
          fixture.readOnlySecret,
          size.overheadRounds,
        );
      }
      if (wants('deep')) {
        progress(`${kind}: figure 5, first page and page at row ${DEEP_ROW.toLocaleString('en')}`);
        result.deepPages = await measureDeepPages(
          services,
          secured,
          fixture.organizationId,
          fixture.readOnlySecret,
          INCIDENTS,
          DEEP_ROW,
          size.deepRounds,
        );
      }
      if (wants('export')) {
        progress(`${kind}: figure 4, export`);
        result.export = await measureExport(
          services,
          secured,
          fixture.organizationId,
          fixture.readOnlySecret,
          INCIDENTS,
          size.exportRounds,
        );
      }
    } finally {
      for (const { apollo } of apps) {
        await apollo.stop();
      }
      await bench.close();
    }
  }

  if (wants('throughput')) {
    progress(`${kind}: figures 3 and 6, HTTP throughput and last-use writes`);
    const bench = await openBenchServices(kind);
    try {
      const measured = await measureThroughput(
        bench,
        size.loadSeconds,
        LOAD_CONNECTIONS,
        size.loadRounds,
      );
      result.throughput = measured.throughput;
      result.lastUse = measured.lastUse;
    } finally {
      await bench.close();
    }
  }
  if (wants('bi')) {
    progress(`${kind}: figure 8, BI pages over HTTP and their floors`);
    const bench = await openBenchServices(kind);
    try {
      result.biPages = await measureBiPages(
        bench,
        size.loadSeconds,
        LOAD_CONNECTIONS,
        size.loadRounds,
      );
    } finally {
      await bench.close();
    }
  }
  result.seconds = elapsedMs(started) / 1000;
  return result;
}

/** A ratio that must stay at or under `target` (or at or over, for `atLeast`). */
interface Check {
  label: string;
  value: number;
  target: number;
  atLeast?: boolean;
}

const holds = ({ value, target, atLeast }: Check) => (atLeast ? value >= target : value <= target);
const verdict = (check: Check) => `${check.value.toFixed(2)} ${holds(check) ? 'holds' : 'MISSED'}`;

/** Every ratio with a target, for the table and for `--ci`. */
function checksOf(result: DatabaseResult): Check[] {
  const checks: Check[] = [];
  const overhead = result.authorizationOverhead;
  if (overhead) {
    for (const [pages, figures] of [
      ['1 page', overhead.onePage],
      ['10 pages', overhead.tenPages],
    ] as const) {
      checks.push(
        {
          label: `${pages}: shield ÷ no authorization`,
          value: figures.vsNoAuthorization,
          target: overhead.targets.vsNoAuthorization,
        },
        {
          label: `${pages}: shield ÷ bare execute`,
          value: figures.vsBareExecute,
          target: overhead.targets.vsBareExecute,
        },
      );
    }
  }
  if (result.deepPages) {
    checks.push({
      label: 'deep page ÷ first page',
      value: result.deepPages.deepPageRatio,
      target: result.deepPages.deepPageTarget,
    });
  }
  return checks;
}

type Row = [string, ...string[]];

/** The table: one line per figure, its value in the run of each database, then its target. */
function tableRows(kinds: BenchDatabaseKind[], results: DatabaseResult[]): Row[] {
  const rows: Row[] = [['figure', ...kinds.map((kind) => COLUMN_TITLES[kind]), 'target']];
  const add = (
    label: string,
    value: (result: DatabaseResult) => string | undefined,
    target = '',
  ): void => {
    const cells = results.map(value);
    if (cells.some((cell) => cell !== undefined)) {
      rows.push([label, ...cells.map((cell) => cell ?? '-'), target]);
    }
  };
  const ms = (n: number) => n.toFixed(1);
  const perSecond = (n: number) => Math.round(n).toLocaleString('en');
  /** A ratio with its verdict, and the same ratio on the other clock beside it. */
  const ratio = (check: Check, other: number) => `${verdict(check)} (${other.toFixed(2)})`;

  const overhead = results.find((r) => r.authorizationOverhead)?.authorizationOverhead;
  for (const [pages, key] of [
    ['1 page', 'onePage'],
    ['10 pages', 'tenPages'],
  ] as const) {
    const of = `1. ${pages} of 1000 incidents + monitors, in-process`;
    add(`${of}: Apollo + shield (ms, median)`, (r) => {
      const f = r.authorizationOverhead?.[key];
      return f && ms(f.shieldMs);
    });
    add(`${of}: Apollo, no authorization (ms)`, (r) => {
      const f = r.authorizationOverhead?.[key];
      return f && ms(f.noAuthorizationMs);
    });
    add(`${of}: bare graphql-js execute (ms)`, (r) => {
      const f = r.authorizationOverhead?.[key];
      return f && ms(f.bareExecuteMs);
    });
    add(
      `1. ${pages}: shield ÷ no authorization, CPU time (wall)`,
      (r) => {
        const f = r.authorizationOverhead?.[key];
        const target = r.authorizationOverhead?.targets.vsNoAuthorization ?? 0;
        return (
          f && ratio({ label: '', value: f.vsNoAuthorization, target }, f.vsNoAuthorizationWall)
        );
      },
      overhead ? `≤ ${overhead.targets.vsNoAuthorization.toFixed(2)}` : '',
    );
    add(
      `1. ${pages}: shield ÷ bare execute, CPU time (wall)`,
      (r) => {
        const f = r.authorizationOverhead?.[key];
        const target = r.authorizationOverhead?.targets.vsBareExecute ?? 0;
        return f && ratio({ label: '', value: f.vsBareExecute, target }, f.vsBareExecuteWall);
      },
      overhead ? `≤ ${overhead.targets.vsBareExecute.toFixed(2)}` : '',
    );
  }

  add('2. authenticate(), valid token (µs, median)', (r) =>
    r.authentication?.authenticateValidUs.toFixed(0),
  );
  add('2. authenticate(), malformed token, no DB (µs)', (r) =>
    r.authentication?.authenticateMalformedUs.toFixed(1),
  );
  add('2. HTTP { viewer }, valid token (µs, median)', (r) =>
    r.authentication?.httpViewerUs.toFixed(0),
  );
  add('2. HTTP GET /healthz, no token (µs)', (r) => r.authentication?.httpHealthzUs.toFixed(0));
  add('2. HTTP malformed token, refused (µs)', (r) => r.authentication?.httpMalformedUs.toFixed(0));
  add('2. ratio viewer ÷ healthz', (r) => r.authentication?.viewerVsHealthz.toFixed(2));
  add('2. ratio viewer ÷ malformed', (r) => r.authentication?.viewerVsMalformed.toFixed(2));

  const load = results.find((r) => r.throughput)?.throughput;
  const loadLabel = load
    ? `${load.durationSeconds} s × ${load.rounds}, ${load.connections} conn.`
    : '';
  for (const [name, key] of [
    ['{ viewer }', 'viewer'],
    ['BI page of 1000 rows', 'biPage'],
  ] as const) {
    add(`3. HTTP ${name}, with authorization (req/s, ${loadLabel})`, (r) => {
      const t = r.throughput?.[key];
      return t && perSecond(t.withAuthorization);
    });
    add(`3. HTTP ${name}, authorization off (req/s)`, (r) => {
      const t = r.throughput?.[key];
      return t && perSecond(t.withoutAuthorization);
    });
    add(`3. ratio with ÷ without authorization (1.00: free)`, (r) =>
      r.throughput?.[key].ratio.toFixed(2),
    );
  }

  add('4. export 100,000 incidents over HTTP (rows/s, median)', (r) =>
    r.export ? perSecond(r.export.exportHttpRowsPerSecond) : undefined,
  );
  add('4. export by plain SELECT + JSON.stringify (rows/s)', (r) =>
    r.export ? perSecond(r.export.exportSqlRowsPerSecond) : undefined,
  );
  const exportTarget = results.find((r) => r.export)?.export?.exportTarget;
  add(
    '4. ratio HTTP ÷ plain SELECT, rows/s (per CPU s)',
    (r) =>
      r.export &&
      ratio(
        { label: '', value: r.export.exportRatio, target: r.export.exportTarget, atLeast: true },
        r.export.exportRatioCpu,
      ),
    exportTarget ? `≥ ${exportTarget.toFixed(2)}` : '',
  );
  add("4. the same with the client's JSON.parse of each page counted (rows/s)", (r) =>
    r.export?.exportRatioClientParsed.toFixed(2),
  );

  add('5. incidents(first: 1000), first page (ms, median)', (r) =>
    r.deepPages ? ms(r.deepPages.firstPageMs) : undefined,
  );
  add('5. page at row 90,000 of 100,000 (ms, median)', (r) =>
    r.deepPages ? ms(r.deepPages.deepPageMs) : undefined,
  );
  const deepTarget = results.find((r) => r.deepPages)?.deepPages?.deepPageTarget;
  add(
    '5. deep page ÷ first page, CPU time (wall)',
    (r) =>
      r.deepPages &&
      ratio(
        { label: '', value: r.deepPages.deepPageRatio, target: r.deepPages.deepPageTarget },
        r.deepPages.deepPageRatioWall,
      ),
    deepTarget ? `≤ ${deepTarget.toFixed(2)}` : '',
  );

  add(
    '6. last-used writes, 10,000 requests by one token',
    (r) =>
      r.lastUse &&
      `${r.lastUse.writes} in ${r.lastUse.seconds.toFixed(1)} s (${
        r.lastUse.writes <= r.lastUse.target && r.lastUse.seconds < 60 ? 'holds' : 'MISSED'
      })`,
    results.some((r) => r.lastUse) ? '1' : '',
  );

  const bi = results.find((r) => r.biPages)?.biPages;
  const biLabel = bi ? `${bi.durationSeconds} s × ${bi.rounds}, ${bi.connections} conn.` : '';
  for (const [name, key] of [
    ['1000 incidents + board', 'board'],
    ['1000 incidents + board + monitors (README)', 'readme'],
  ] as const) {
    add(`8. HTTP BI page, ${name}: API / floor (req/s, ${biLabel})`, (r) => {
      const f = r.biPages?.[key];
      return f && `${perSecond(f.api)} / ${perSecond(f.floor)}`;
    });
    add(
      `8. ratio API ÷ floor (same rows from the driver, serialized)`,
      (r) => {
        const f = r.biPages;
        return f && verdict({ label: '', value: f[key].ratio, target: f.target, atLeast: true });
      },
      bi ? `≥ ${bi.target.toFixed(2)}` : '',
    );
  }

  add('7. peak RSS during the export (bench process, MiB)', (r) =>
    r.export ? r.export.exportPeakRssMiB.toFixed(0) : undefined,
  );
  add('7. peak RSS of the server under figure 3 load (MiB)', (r) =>
    r.throughput ? r.throughput.serverPeakRssMiB.toFixed(0) : undefined,
  );
  return rows;
}

/** The server's peak under `npm run load`, from its results file: one run, whatever database. */
function loadRunRow(loadRun: LoadRunMemory | null, columns: number): Row {
  const value = loadRun
    ? `${loadRun.serverPeakRssMiB.toFixed(0)} (bench/load-results.json${
        loadRun.durationSeconds && loadRun.connections
          ? `: ${loadRun.durationSeconds.toFixed(0)} s, ${loadRun.connections} conn.`
          : ''
      })`
    : 'not run (no bench/load-results.json)';
  return [
    '7. peak RSS of the server in `npm run load` (MiB)',
    value,
    ...Array(columns - 2).fill(''),
  ];
}

function printTable(title: string, rows: Row[]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log(title);
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
  }
}

// `npm run bench [-- --db postgres]`: every figure a median of several rounds, every comparison a
// ratio of measurements taken side by side in the same run; each database is measured on its
// own, one after the other, so they never share the two cores. `--ci`: figures 1 and 5 only,
// fewer rounds, exit 1 when a ratio misses its target by 1.5 times or more.
async function main(): Promise<void> {
  const options = optionsFromArgs(process.argv.slice(2));
  const loadAtStart = loadavg()[0];
  const results: DatabaseResult[] = [];
  for (const kind of options.databases) {
    results.push(await measure(kind, options));
  }
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'cpu',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg()[0],
  };
  const loadRun = loadRunMemory();
  const rows = tableRows(options.databases, results);
  const title =
    `statusgraph bench${options.ci ? ' --ci' : ''} — Node ${machine.node}, ${machine.cpus} × ` +
    `${machine.cpuModel}, load average ${machine.loadAverageAtStart.toFixed(1)} at start, ` +
    `${machine.loadAverageAtEnd.toFixed(1)} at end`;
  const whole = options.figures.size === FIGURES.length;
  printTable(title, whole ? [...rows, loadRunRow(loadRun, rows[0].length)] : rows);

  if (options.ci) {
    const broken = results.flatMap((result, i) =>
      checksOf(result)
        .filter((check) => check.value >= check.target * CI_MARGIN)
        .map((check) => `${options.databases[i]}: ${check.label} ${check.value.toFixed(2)}`),
    );
    for (const line of broken) {
      progress(`ratio ≥ ${CI_MARGIN} × its target: ${line}`);
    }
    if (broken.length === 0) {
      progress(`every ratio within ${CI_MARGIN} × its target`);
    }
    process.exitCode = broken.length > 0 ? 1 : 0;
    return;
  }
  // Only a whole run is published: results.json is committed, the figures of README's table.
  if (whole) {
    writeFileSync(
      join(__dirname, '..', '..', 'bench', 'results.json'),
      JSON.stringify(
        {
          command: `npm run bench${options.databases.includes('postgres') ? ' -- --db postgres' : ''}`,
          date: new Date().toISOString(),
          machine,
          ...Object.fromEntries(options.databases.map((kind, i) => [kind, results[i]])),
          loadRun,
        },
        null,
        2,
      ) + '\n',
    );
  }
}

main().catch((error: unknown) => {
  const text =
    error instanceof UsageError ? error.message : error instanceof Error ? error.stack : '';
  process.stderr.write(`bench: ${text || String(error)}\n`);
  process.exitCode = 1;
});
