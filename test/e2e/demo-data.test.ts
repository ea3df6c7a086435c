import { type DemoSummary, seedDemo } from '../../src/demo/demo-data';
import { seedDemoOnStart } from '../../src/demo/demo-start';
import type { HttpClient } from '../helpers/http-client';
import { statementsOf } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

type Status = 'UP' | 'WARN' | 'DOWN' | 'MAINTENANCE' | 'UNKNOWN';

interface MonitorView {
  id: string;
  displayName: string;
  monitorType: 'SERVICE' | 'WEBSITE' | 'PING' | 'CUSTOM';
  status: Status;
  paused: boolean;
  url: string | null;
  host: string | null;
  serviceName: string | null;
  lastCheckedAt: string | null;
  board: { id: string };
}

interface EventView {
  status: Status;
  previousStatus: Status;
  recordedAt: string;
  monitor: { id: string };
}

interface IncidentView {
  severity: 'MINOR' | 'MAJOR' | 'MAINTENANCE';
  phase: string;
  startedAt: string;
  resolvedAt: string | null;
  willStartAt: string | null;
  willEndAt: string | null;
  updatedAt: string;
  board: { id: string };
  monitors: { id: string; board: { id: string } }[];
  updates: { phase: string; createdAt: string }[];
}

interface Connection<T> {
  nodes: T[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const PAGE = `totalCount pageInfo { hasNextPage endCursor }`;
const MONITORS = `query { monitors(first: 1000) { ${PAGE} nodes {
  id displayName monitorType status paused url host serviceName lastCheckedAt board { id } } } }`;
const EVENTS = `query($after: String) { statusEvents(first: 1000, after: $after) { ${PAGE}
  nodes { status previousStatus recordedAt monitor { id } } } }`;
const INCIDENTS = `query { incidents(first: 1000) { ${PAGE} nodes {
  severity phase startedAt resolvedAt willStartAt willEndAt updatedAt board { id }
  monitors { id board { id } } updates { phase createdAt } } } }`;
const COUNTS = `query { boards { totalCount } monitors { totalCount } statusEvents { totalCount }
  incidents { totalCount } apiTokens { totalCount } auditEvents { totalCount } }`;

/** Every status event, newest first, walking the pages as a client would. */
async function allEvents(client: HttpClient): Promise<EventView[]> {
  const events: EventView[] = [];
  let after: string | null = null;
  for (;;) {
    const { statusEvents }: { statusEvents: Connection<EventView> } = await client.data(EVENTS, {
      after,
    });
    events.push(...statusEvents.nodes);
    if (!statusEvents.pageInfo.hasNextPage) {
      return events;
    }
    after = statusEvents.pageInfo.endCursor;
  }
}

describe('demo data', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await TestApp.start();
  });

  afterEach(async () => {
    await app.close();
  });

  test('fills the organization with boards, monitors, history and incidents a read-only token sees', async () => {
    let summary: DemoSummary | undefined;
    const statements = await statementsOf(app.services.db, async () => {
      summary = await seedDemo(app.services, app.organization);
    });
    if (!summary) {
      throw new Error('no summary');
    }
    const reader = app.asReadOnly();

    const { boards } = await reader.data<{ boards: Connection<{ id: string; name: string }> }>(
      `query { boards(first: 100) { ${PAGE} nodes { id name } } }`,
    );
    expect(boards.nodes.map((b) => b.name)).toEqual(
      expect.arrayContaining(['Production', 'Infrastructure']),
    );
    expect(boards.totalCount).toBeGreaterThanOrEqual(3);
    expect(boards.totalCount).toBeLessThanOrEqual(4);

    const { monitors } = await reader.data<{ monitors: Connection<MonitorView> }>(MONITORS);
    expect(monitors.totalCount).toBeGreaterThanOrEqual(25);
    expect(monitors.totalCount).toBeLessThanOrEqual(35);
    expect(new Set(monitors.nodes.map((m) => m.monitorType))).toEqual(
      new Set(['SERVICE', 'WEBSITE', 'PING', 'CUSTOM']),
    );
    const boardIds = new Set(boards.nodes.map((b) => b.id));
    for (const monitor of monitors.nodes) {
      expect(boardIds.has(monitor.board.id)).toBe(true);
      expect(monitor.url !== null).toBe(monitor.monitorType === 'WEBSITE');
      expect(monitor.host !== null).toBe(monitor.monitorType === 'PING');
      expect(monitor.serviceName !== null).toBe(monitor.monitorType === 'SERVICE');
      expect(monitor.lastCheckedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    // Headers need a full-access token to read; some WEBSITE monitors carry credentials there.
    const { monitors: withHeaders } = await app.asFullAccess().data<{
      monitors: Connection<{ requestHeaders: { name: string }[] | null }>;
    }>(`query { monitors(first: 1000, filter: {monitorType: WEBSITE}) { ${PAGE}
      nodes { requestHeaders { name } } } }`);
    expect(
      withHeaders.nodes.some((m) => m.requestHeaders?.some((h) => h.name === 'Authorization')),
    ).toBe(true);

    const events = await allEvents(reader);
    expect(events.length).toBe(summary.statusEvents);
    expect(events.length).toBeGreaterThan(monitors.totalCount * 20);
    const byMonitor = new Map<string, EventView[]>();
    for (const event of [...events].reverse()) {
      byMonitor.set(event.monitor.id, [...(byMonitor.get(event.monitor.id) ?? []), event]);
    }
    const monthsAgo = new Date(Date.now() - 85 * 24 * 3600_000).toISOString();
    for (const monitor of monitors.nodes) {
      const history = byMonitor.get(monitor.id) ?? [];
      expect(history.length).toBeGreaterThan(0);
      expect(history[0].previousStatus).toBe('UNKNOWN');
      expect(history[0].recordedAt < monthsAgo).toBe(true);
      history.slice(1).forEach((event, i) => {
        expect(event.previousStatus).toBe(history[i].status);
        expect(event.status).not.toBe(event.previousStatus);
      });
      expect(monitor.status).toBe(history[history.length - 1].status);
    }
    expect(new Set(events.map((e) => e.status))).toEqual(
      new Set(['UP', 'WARN', 'DOWN', 'MAINTENANCE']),
    );

    const { incidents } = await reader.data<{ incidents: Connection<IncidentView> }>(INCIDENTS);
    expect(incidents.totalCount).toBeGreaterThanOrEqual(30);
    expect(incidents.totalCount).toBeLessThanOrEqual(50);
    const open = incidents.nodes.filter((i) => i.resolvedAt === null);
    expect(open.some((i) => i.severity !== 'MAINTENANCE')).toBe(true);
    expect(incidents.nodes.filter((i) => i.phase === 'RESOLVED').length).toBeGreaterThan(20);
    const now = new Date().toISOString();
    expect(
      incidents.nodes.some(
        (i) =>
          i.severity === 'MAINTENANCE' &&
          i.phase === 'SCHEDULED' &&
          i.willStartAt !== null &&
          i.willStartAt > now &&
          i.willEndAt !== null &&
          i.willEndAt > i.willStartAt,
      ),
    ).toBe(true);
    expect(incidents.nodes.some((i) => i.phase === 'COMPLETED')).toBe(true);
    for (const incident of incidents.nodes) {
      expect(incident.monitors.length).toBeGreaterThanOrEqual(1);
      expect(incident.monitors.length).toBeLessThanOrEqual(3);
      expect(incident.monitors.every((m) => m.board.id === incident.board.id)).toBe(true);
      const last = incident.updates[incident.updates.length - 1];
      expect(last.phase).toBe(incident.phase);
      expect(last.createdAt).toBe(incident.updatedAt);
      expect(incident.resolvedAt !== null).toBe(['RESOLVED', 'COMPLETED'].includes(incident.phase));
      expect(incident.updatedAt <= now).toBe(true);
    }

    const { apiTokens } = await reader.data<{
      apiTokens: Connection<{ name: string; permission: string }>;
    }>(`query { apiTokens(first: 100) { ${PAGE} nodes { name permission } } }`);
    expect(apiTokens.nodes).toContainEqual({ name: 'Wall board (demo)', permission: 'READ_ONLY' });
    const { auditEvents } = await reader.data<{ auditEvents: Connection<{ outcome: string }> }>(
      `query { auditEvents(filter: {action: "demo.seed"}) { ${PAGE} nodes { outcome } } }`,
    );
    expect(auditEvents.nodes).toEqual([{ outcome: 'SUCCEEDED' }]);

    // Seeded in bulk, in one transaction: rows go in by the hundred per INSERT, never one per
    // statement (what made a seed take seconds).
    const rows = summary.boards + summary.monitors + summary.statusEvents + summary.incidents;
    const inserts = statements.filter((statement) => /^\s*INSERT/i.test(statement)).length;
    process.stdout.write(
      `demo seed: ${rows} rows, ${inserts} inserts, ${statements.length} statements\n`,
    );
    expect(inserts).toBeLessThan(rows / 50);
    expect(
      statements.filter((statement) => /^\s*(BEGIN|START TRANSACTION)/i.test(statement)),
    ).toHaveLength(1);
  });

  test('adds nothing to an organization that already has data', async () => {
    const reader = app.asReadOnly();
    expect(await seedDemoOnStart(app.services, null)).toMatch(
      /^Demo data: \d+ boards, \d+ monitors, \d+ status events, \d+ incidents\.$/,
    );
    const before = await reader.data(COUNTS);

    const again = await seedDemo(app.services, app.organization);
    expect(again).toEqual({
      seeded: false,
      boards: 0,
      monitors: 0,
      statusEvents: 0,
      incidents: 0,
    });
    expect(await seedDemoOnStart(app.services, null)).toBe(
      'Demo data: organization "Acme" already has data; nothing was added.',
    );
    expect(await reader.data(COUNTS)).toEqual(before);
  });
});
