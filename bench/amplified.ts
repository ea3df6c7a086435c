import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Board } from '../src/boards/board.entity';
import { IncidentPhase, IncidentSeverity } from '../src/incidents/incident-enums';
import { Incident } from '../src/incidents/incident.entity';
import { MonitorStatus, MonitorType } from '../src/monitors/monitor-enums';
import { Monitor } from '../src/monitors/monitor.entity';
import { TokenPermission } from '../src/tokens/token-permission';
import { openBenchServices } from './bench-database';
import { ServerProcess } from './load-server';
import { progress } from './progress';

/**
 * `npm run build && node dist/bench/amplified.js [--slots two]`: the review's three amplified
 * requests of issue 13 (thirty `first: 0 { totalCount }` connections under 1000 boards, under the
 * boards of 1000 incidents, and status events after a cursor under 1000 monitors) sent at once by
 * one organization's READ_ONLY token, beside one small read of another organization, against the
 * server with its default budget. Prints each answer's status, time and cost, and the small
 * read's time. Figures, not a test.
 */
const BOARDS = 1020;
const INCIDENTS = 1000;
const AT = Date.parse('2026-01-01T00:00:00.000Z');

async function main(): Promise<void> {
  const bench = await openBenchServices('sqlite');
  const { services } = bench;
  let server: ServerProcess | undefined;
  try {
    const org = await services.organizations.create('Amplifier', 'bench');
    const other = await services.organizations.create('Bystander', 'bench');
    const reader = await services.db.write((manager) =>
      services.tokens.insert(manager, org.organization.id, {
        name: 'bi',
        permission: TokenPermission.READ_ONLY,
      }),
    );
    const boards = Array.from({ length: BOARDS }, (_, i) =>
      Object.assign(new Board(), {
        id: randomUUID(),
        organizationId: org.organization.id,
        name: `Board ${i}`,
        createdAt: new Date(AT + i),
        updatedAt: new Date(AT),
        deletedAt: null,
      }),
    );
    for (let i = 0; i < boards.length; i += 500) {
      await services.db.write((m) => m.insert(Board, boards.slice(i, i + 500)));
    }
    const incidents = Array.from({ length: INCIDENTS }, (_, i) =>
      Object.assign(new Incident(), {
        id: randomUUID(),
        organizationId: org.organization.id,
        boardId: boards[i].id,
        name: `Incident ${i}`,
        details: null,
        severity: IncidentSeverity.MINOR,
        phase: IncidentPhase.IDENTIFIED,
        startedAt: new Date(AT + i),
        resolvedAt: null,
        willStartAt: null,
        willEndAt: null,
        createdAt: new Date(AT),
        updatedAt: new Date(AT),
        deletedAt: null,
      }),
    );
    for (let i = 0; i < incidents.length; i += 500) {
      await services.db.write((m) => m.insert(Incident, incidents.slice(i, i + 500)));
    }
    const monitors = boards.slice(0, 1000).map((board, i) =>
      Object.assign(new Monitor(), {
        id: randomUUID(),
        organizationId: org.organization.id,
        boardId: board.id,
        displayName: `Monitor ${i}`,
        monitorType: MonitorType.CUSTOM,
        status: MonitorStatus.UP,
        paused: false,
        url: null,
        host: null,
        serviceName: null,
        checkIntervalMinutes: 5,
        requestHeadersJson: null,
        lastCheckedAt: null,
        createdAt: new Date(AT + i),
        updatedAt: new Date(AT),
      }),
    );
    for (let i = 0; i < monitors.length; i += 500) {
      await services.db.write((m) => m.insert(Monitor, monitors.slice(i, i + 500)));
    }
    // A well-formed cursor of the status-event order: every monitor's events before it.
    const after = Buffer.from(
      JSON.stringify(['2030-01-01T00:00:00.000Z', 'z', 'statusEvents.recordedAt:DESC']),
    ).toString('base64url');
    const slots = process.argv.includes('--two') ? 'two' : 'fair';
    server = await ServerProcess.start(
      {
        DATABASE_URL: `sqlite:${String(services.db.dataSource.options.database)}`,
        LOG_LEVEL: 'warn',
        AUTH_FAILURES_PER_MINUTE: '1000000',
        ...(process.env.COST_BUCKET_SIZE ? { COST_BUCKET_SIZE: process.env.COST_BUCKET_SIZE } : {}),
      },
      30_000,
      slots === 'two' ? `${__dirname}/two-slot-server.js` : undefined,
    );
    const send = async (secret: string, query: string) => {
      const started = performance.now();
      const response = await fetch(`${server?.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as {
        errors?: { extensions?: { code?: string } }[];
        extensions?: { cost?: { requestedQueryCost: number; actualQueryCost: number } };
      };
      return {
        status: response.status,
        ms: Math.round(performance.now() - started),
        code: body.errors?.[0]?.extensions?.code ?? 'ok',
        cost: body.extensions?.cost,
      };
    };
    const thirty = (field: (i: number) => string) =>
      Array.from({ length: 15 }, (_, i) => field(i)).join(' ');
    const perBoard = thirty(
      (i) => `m${i}: monitors(first: 0) { totalCount } i${i}: incidents(first: 0) { totalCount }`,
    );
    const amplified: [string, string][] = [
      ['boards', `{ boards(first: 1000) { nodes { ${perBoard} } } }`],
      ['incidents → board', `{ incidents(first: 1000) { nodes { board { ${perBoard} } } } }`],
      [
        'monitors → statusEvents(after)',
        `{ monitors(first: 1000) { nodes { ${Array.from(
          { length: 30 },
          (_, i) => `s${i}: statusEvents(first: 0, after: "${after}") { totalCount }`,
        ).join(' ')} } } }`,
      ],
    ];
    // Warm both paths up once (compilation, caches), then measure.
    await send(other.secret, '{ viewer { permission } }');
    const results = await Promise.all([
      ...amplified.map(([name, query]) => send(reader.secret, query).then((r) => ({ name, ...r }))),
      send(
        other.secret,
        '{ viewer { permission organization { name } } boards { nodes { id } } }',
      ).then((r) => ({ name: 'small read, other organization', ...r })),
    ]);
    console.log(`slots: ${slots}`);
    for (const r of results) {
      console.log(
        `${r.name}: ${r.status} ${r.code}, ${r.ms} ms, requested ${r.cost?.requestedQueryCost ?? '-'}, actual ${r.cost?.actualQueryCost ?? '-'}`,
      );
    }
    const memory = server.memory();
    console.log(`server peak RSS ${memory ? memory.peakRssMiB.toFixed(0) : '-'} MiB`);
  } finally {
    await server?.stop();
    await bench.close();
  }
}

main().catch((error: unknown) => {
  progress(String(error));
  process.exit(1);
});
