// As main.ts: graphql-js in production mode, so the bench measures what a deployment runs.
import '../src/core/production-mode';
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { systemActor } from '../src/organizations/organization.service';
import { TokenPermission } from '../src/tokens/token-permission';
import { openBenchServices, type BenchDatabaseKind } from './bench-database';
import { BenchServer } from './bench-server';
import { progress } from './progress';
import { median, pairedRatio } from './stats';
import { load } from './throughput';

/**
 * The hot path (issue 17): requests per second of the small queries over HTTP at 10
 * connections, on one database, from three servers each in a process of its own, loaded one at
 * a time in an order that rotates from round to round:
 * - `after`: this build (dist/), as main.ts builds it;
 * - `before`: the same server from another build (`--before DIR`, a built copy of an earlier
 *   commit: `git archive <commit> | tar -x -C DIR`, node_modules linked, `npm run build`);
 * - `floor`: the same rows straight from the driver, one statement per request
 *   (driver-floor-server.ts).
 * Prints each one's median and the medians of the round-by-round ratios.
 *
 *   npm run build && node dist/bench/hot-path.js --db postgres --before /tmp/i17-before
 */
const USAGE =
  'usage: node dist/bench/hot-path.js [--db sqlite|postgres] [--before DIR] [--seconds N] [--rounds N]';
const CONNECTIONS = 10;

interface Options {
  db: BenchDatabaseKind;
  before: string | undefined;
  seconds: number;
  rounds: number;
}

function optionsFromArgs(args: string[]): Options {
  const options: Options = { db: 'sqlite', before: undefined, seconds: 5, rounds: 5 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1] ?? ''];
    if (flag === '--db' && (value === 'sqlite' || value === 'postgres')) {
      options.db = value;
    } else if (flag === '--before' && value !== '') {
      options.before = resolve(value);
    } else if ((flag === '--seconds' || flag === '--rounds') && Number(value) > 0) {
      options[flag === '--seconds' ? 'seconds' : 'rounds'] = Number(value);
    } else {
      throw new Error(`${flag} ${value}: ${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = optionsFromArgs(process.argv.slice(2));
  const beforeScript = options.before && join(options.before, 'dist/bench/bench-server.js');
  if (beforeScript && !existsSync(beforeScript)) {
    throw new Error(`${beforeScript} does not exist: build that copy first (npm run build)`);
  }
  const loadAtStart = loadavg()[0];
  const bench = await openBenchServices(options.db);
  const servers: Partial<Record<'after' | 'before' | 'floor', BenchServer>> = {};
  try {
    const { services } = bench;
    const { organization } = await services.organizations.create('Bench', 'bench');
    const { secret } = await services.db.write((manager) =>
      services.tokens.insert(manager, organization.id, {
        name: 'Bench hot path',
        permission: TokenPermission.READ_ONLY,
      }),
    );
    const board = await services.boards.create(systemActor(organization, 'bench.setup'), {
      name: 'Bench board',
    });
    const database = bench.database;
    servers.after = await BenchServer.start({ database, authorization: true });
    if (beforeScript) {
      servers.before = await BenchServer.start({
        database,
        authorization: true,
        script: beforeScript,
      });
    }
    servers.floor = await BenchServer.start({
      database,
      authorization: true,
      script: join(__dirname, 'driver-floor-server.js'),
    });
    const names = Object.keys(servers) as (keyof typeof servers)[];
    const queries = {
      viewer: JSON.stringify({ query: '{ viewer { permission } }' }),
      board: JSON.stringify({
        query: 'query($id: ID!) { board(id: $id) { name } }',
        variables: { id: board.id },
      }),
    };
    const lines: string[] = [];
    for (const [query, body] of Object.entries(queries)) {
      const samples = Object.fromEntries(names.map((name) => [name, [] as number[]]));
      for (let round = 0; round < options.rounds; round++) {
        for (let i = 0; i < names.length; i++) {
          const name = names[(round + i) % names.length];
          progress(`${options.db} ${query}: ${name}, round ${round + 1} of ${options.rounds}`);
          const server = servers[name] as BenchServer;
          samples[name].push(
            await load(`${server.url}/graphql`, secret, body, {
              duration: options.seconds,
              connections: CONNECTIONS,
            }),
          );
        }
      }
      const figures = names.map((name) => `${name} ${Math.round(median(samples[name]))} req/s`);
      const ratios = [
        ...(servers.before ? [['after ÷ before', samples.after, samples.before]] : []),
        ['after ÷ floor', samples.after, samples.floor],
        ...(servers.before ? [['before ÷ floor', samples.before, samples.floor]] : []),
      ].map(([label, a, b]) => `${label} ${pairedRatio(a as number[], b as number[]).toFixed(2)}`);
      lines.push(`${options.db} ${query}: ${figures.join(', ')}; ${ratios.join(', ')}`);
    }
    process.stdout.write(
      `hot path, ${CONNECTIONS} connections, ${options.rounds} rounds of ${options.seconds} s ` +
        `(medians; load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end)\n` +
        lines.join('\n') +
        '\n',
    );
  } finally {
    for (const server of Object.values(servers)) {
      await server?.stop();
    }
    await bench.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
