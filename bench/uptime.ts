import '../src/core/production-mode';
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import type { Services } from '../src/app';
import { Board } from '../src/boards/board.entity';
import type { RequestContext } from '../src/core/context';
import { Loaders } from '../src/core/loaders';
import { MonitorStatus, MonitorType } from '../src/monitors/monitor-enums';
import { Monitor } from '../src/monitors/monitor.entity';
import { StatusEvent } from '../src/monitors/status-event.entity';
import { uptimeSums } from '../src/monitors/uptime-query';
import { createHttpApp } from '../src/server/http-app';
import { TokenPermission } from '../src/tokens/token-permission';
import { type BenchDatabaseKind, openBenchServices } from './bench-database';
import { progress } from './progress';
import { cpu, median, pairedRatio, sideBySide, startClocks, type Timing, wall } from './stats';

/**
 * `Monitor.uptime` of 1000 monitors over 90 days of status history in one request (issue 17),
 * in-process through Apollo, side by side with two floors through the same driver: the uptime
 * statement alone (what the request adds to it is GraphQL), and a plain SELECT of the window's
 * status events (what summing outside SQL would have to read first). Also the statements of the
 * request under 10 monitors and under 1000: the same number.
 *
 *   npm run build && node dist/bench/uptime.js [--db postgres] [--changes-per-day 4] [--rounds 9]
 */

const MONITORS = 1000;
const DAYS = 90;
const DAY = 86_400_000;
const CHUNK = 500;
const STATUSES = [MonitorStatus.UP, MonitorStatus.DOWN, MonitorStatus.UP, MonitorStatus.WARN];

interface Options {
  db: BenchDatabaseKind;
  changesPerDay: number;
  rounds: number;
}

function optionsFromArgs(args: string[]): Options {
  const options: Options = { db: 'sqlite', changesPerDay: 4, rounds: 9 };
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1] ?? '';
    if (args[i] === '--db' && (value === 'sqlite' || value === 'postgres')) {
      options.db = value;
    } else if (args[i] === '--changes-per-day' && Number(value) > 0) {
      options.changesPerDay = Number(value);
    } else if (args[i] === '--rounds' && Number(value) > 0) {
      options.rounds = Number(value);
    } else {
      throw new Error(
        'usage: node dist/bench/uptime.js [--db sqlite|postgres] [--changes-per-day N] [--rounds N]',
      );
    }
  }
  return options;
}

/** 1000 monitors created 100 days before `end`, each changing status `perDay` times a day. */
async function insertHistory(services: Services, end: number, perDay: number) {
  const { organization } = await services.organizations.create('Bench uptime', 'bench');
  const { secret } = await services.db.write((manager) =>
    services.tokens.insert(manager, organization.id, {
      name: 'Bench uptime',
      permission: TokenPermission.READ_ONLY,
    }),
  );
  const created = new Date(end - 100 * DAY);
  const board = { id: randomUUID(), organizationId: organization.id, name: 'Bench' };
  await services.db.write((m) =>
    m.insert(Board, { ...board, createdAt: created, updatedAt: created, deletedAt: null }),
  );
  const monitors = Array.from({ length: MONITORS }, (_, i) =>
    Object.assign(new Monitor(), {
      id: randomUUID(),
      organizationId: organization.id,
      boardId: board.id,
      displayName: `Service ${i}`,
      monitorType: MonitorType.CUSTOM,
      status: STATUSES[(100 * perDay - 1) % STATUSES.length],
      paused: false,
      url: null,
      host: null,
      serviceName: null,
      checkIntervalMinutes: 5,
      requestHeadersJson: null,
      lastCheckedAt: null,
      createdAt: new Date(created.getTime() + i),
      updatedAt: created,
    }),
  );
  for (let i = 0; i < monitors.length; i += CHUNK) {
    await services.db.write((m) => m.insert(Monitor, monitors.slice(i, i + CHUNK)));
  }
  const spacing = DAY / perDay;
  let events: StatusEvent[] = [];
  for (const [m, monitor] of monitors.entries()) {
    for (let n = 0; n < 100 * perDay; n++) {
      events.push(
        Object.assign(new StatusEvent(), {
          id: randomUUID(),
          organizationId: organization.id,
          monitorId: monitor.id,
          status: STATUSES[n % STATUSES.length],
          previousStatus: n === 0 ? MonitorStatus.UNKNOWN : STATUSES[(n - 1) % STATUSES.length],
          message: null,
          // Spread within the day so the monitors do not change all at once.
          recordedAt: new Date(created.getTime() + 1000 + n * spacing + ((m * 7919) % spacing)),
        }),
      );
      if (events.length === CHUNK) {
        const chunk = events;
        events = [];
        await services.db.write((manager) => manager.insert(StatusEvent, chunk));
      }
    }
    if (m % 100 === 99) {
      progress(`inserted the history of ${m + 1} monitors`);
    }
  }
  if (events.length > 0) {
    const chunk = events;
    await services.db.write((manager) => manager.insert(StatusEvent, chunk));
  }
  return { organizationId: organization.id, secret, monitorIds: monitors.map((m) => m.id) };
}

/** Counts the statements TypeORM sends while `work` runs (at the reading connection's logger). */
async function statementsOf(source: DataSource, work: () => Promise<unknown>): Promise<number> {
  const original = source.logger;
  let count = 0;
  const counting: TypeOrmLogger = {
    logQuery: (...args) => {
      count++;
      original.logQuery(...args);
    },
    logQueryError: (...args) => original.logQueryError(...args),
    logQuerySlow: (...args) => original.logQuerySlow(...args),
    logSchemaBuild: (...args) => original.logSchemaBuild(...args),
    logMigration: (...args) => original.logMigration(...args),
    log: (...args) => original.log(...args),
  };
  const set = (logger: TypeOrmLogger) =>
    Object.defineProperty(source, 'logger', { value: logger, configurable: true, writable: true });
  set(counting);
  try {
    await work();
  } finally {
    set(original);
  }
  return count;
}

async function main(): Promise<void> {
  const options = optionsFromArgs(process.argv.slice(2));
  const bench = await openBenchServices(options.db);
  const { services } = bench;
  const { apollo } = await createHttpApp(services);
  try {
    const end = Date.now();
    const since = new Date(end - DAYS * DAY);
    const until = new Date(end);
    progress(
      `${options.db}: inserting ${MONITORS} monitors × ${100 * options.changesPerDay} events`,
    );
    const fixture = await insertHistory(services, end, options.changesPerDay);
    const query = `query($n: Int, $since: DateTime!, $until: DateTime) { monitors(first: $n) {
      nodes { id uptime(since: $since, until: $until) { since until upPercent upSeconds warnSeconds
        downSeconds maintenanceSeconds unknownSeconds } } } }`;
    const context = (): Promise<RequestContext> =>
      services.authenticator.authenticate(`Bearer ${fixture.secret}`, {
        id: 'bench',
        ip: '127.0.0.1',
        userAgent: 'bench',
      });
    let cost: unknown;
    const request = async (n: number, built?: RequestContext): Promise<Timing> => {
      const contextValue = built ?? (await context());
      const stop = startClocks();
      const response = await apollo.executeOperation<{ monitors: { nodes: unknown[] } }>(
        { query, variables: { n, since: since.toISOString(), until: until.toISOString() } },
        { contextValue },
      );
      const timing = stop();
      const result = response.body.kind === 'single' ? response.body.singleResult : null;
      if (result?.errors || result?.data?.monitors.nodes.length !== n) {
        throw new Error(`unexpected result: ${JSON.stringify(result?.errors)}`);
      }
      cost = result.extensions?.cost;
      return timing;
    };
    const actor = { ...(await context()), loaders: new Loaders() };
    const statement = async (): Promise<Timing> => {
      const stop = startClocks();
      const sums = await uptimeSums(services.db, actor, fixture.monitorIds, since, until);
      const timing = stop();
      if (sums.size !== MONITORS) {
        throw new Error('the uptime statement missed monitors');
      }
      return timing;
    };
    const events = async (): Promise<Timing> => {
      const stop = startClocks();
      const rows: unknown[] = await services.db.read(
        `SELECT monitor_id, status, recorded_at FROM status_event
          WHERE organization_id = :org AND recorded_at > :since AND recorded_at < :until`,
        {
          org: fixture.organizationId,
          since: services.db.timestamp(since),
          until: services.db.timestamp(until),
        },
      );
      const timing = stop();
      if (rows.length === 0) {
        throw new Error('no events read');
      }
      return timing;
    };
    // Authentication's look-up and its last-use write left out, and one request first (the
    // driver's own first statements): the statements of the request itself.
    await request(MONITORS);
    const [tenContext, allContext] = [await context(), await context()];
    await services.lastUse.flush();
    const few = await statementsOf(services.db.readSource, () => request(10, tenContext));
    const many = await statementsOf(services.db.readSource, () => request(MONITORS, allContext));
    progress(`${options.db}: ${options.rounds} rounds side by side`);
    const samples = await sideBySide(
      { request: () => request(MONITORS), statement, events },
      options.rounds,
      2,
    );
    const figures = {
      database: options.db,
      monitors: MONITORS,
      days: DAYS,
      eventsPerMonitorInWindow: DAYS * options.changesPerDay,
      rounds: options.rounds,
      statementsUnder10Monitors: few,
      statementsUnder1000Monitors: many,
      requestMs: median(wall(samples.request)),
      uptimeStatementMs: median(wall(samples.statement)),
      windowEventsSelectMs: median(wall(samples.events)),
      requestOverStatementCpu: pairedRatio(cpu(samples.request), cpu(samples.statement)),
      requestOverStatementWall: pairedRatio(wall(samples.request), wall(samples.statement)),
      requestOverEventsSelectCpu: pairedRatio(cpu(samples.request), cpu(samples.events)),
      requestOverEventsSelectWall: pairedRatio(wall(samples.request), wall(samples.events)),
      cost,
    };
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await apollo.stop();
    await bench.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
