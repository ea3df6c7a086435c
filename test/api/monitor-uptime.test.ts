import { randomUUID } from 'node:crypto';
import { Board } from '../../src/boards/board.entity';
import type { CostReport } from '../../src/limits/cost-budget';
import { MonitorStatus } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { MonitorUptimeService } from '../../src/monitors/monitor-uptime.service';
import { systemActor } from '../../src/organizations/organization.service';
import { TokenPermission } from '../../src/tokens/token-permission';
import { ManualClock } from '../helpers/clock';
import { boardRow, insertRows, monitorRow } from '../helpers/incident-fixture';
import { scopedToken } from '../helpers/scope-fixture';
import { insertStatusFixture } from '../helpers/status-fixture';
import { statementsOfRequest } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 12's `Monitor.uptime` against histories computed by hand: hours from T0, the
 * clock standing at hour 12. Each monitor is created at hour 0 unless said otherwise.
 */

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const at = (hours: number, ms = 0) => new Date(T0 + hours * HOUR + ms);
const iso = (hours: number, ms = 0) => at(hours, ms).toISOString();
const { UP, WARN, DOWN, MAINTENANCE, UNKNOWN } = MonitorStatus;

type History = [hours: number, previous: MonitorStatus, status: MonitorStatus, id?: string][];

interface Uptime {
  since: string;
  until: string;
  upPercent: number | null;
  upSeconds: number;
  warnSeconds: number;
  downSeconds: number;
  maintenanceSeconds: number;
  unknownSeconds: number;
}

const UPTIME =
  'since until upPercent upSeconds warnSeconds downSeconds maintenanceSeconds unknownSeconds';
const ONE = `query($id: ID!, $since: DateTime!, $until: DateTime) {
  monitor(id: $id) { id uptime(since: $since, until: $until) { ${UPTIME} } } }`;

describe('Monitor.uptime', () => {
  const clock = new ManualClock(at(12));
  let app: TestApp;
  let board: Board;

  beforeAll(async () => {
    app = await TestApp.start({ clock });
    board = boardRow(app.organization.id, 'Uptime', at(-24));
    await insertRows(app.services, Board, [board]);
  });
  afterAll(() => app.close());
  beforeEach(() => clock.set(at(12)));

  /** A monitor created at `created` hours with `history`; its status is the last event's. */
  async function monitorWith(
    history: History,
    options: { created?: number; status?: MonitorStatus; paused?: boolean; boardId?: string } = {},
  ): Promise<string> {
    const last = history[history.length - 1];
    const monitor = monitorRow(
      app.organization.id,
      options.boardId ?? board.id,
      'Uptime target',
      at(options.created ?? 0),
      { status: options.status ?? (last ? last[2] : UNKNOWN), paused: options.paused ?? false },
    );
    await insertRows(app.services, Monitor, [monitor]);
    await insertRows(
      app.services,
      StatusEvent,
      history.map(([hours, previousStatus, status, id]) =>
        Object.assign(new StatusEvent(), {
          id: id ?? randomUUID(),
          organizationId: app.organization.id,
          monitorId: monitor.id,
          status,
          previousStatus,
          message: null,
          recordedAt: typeof hours === 'number' ? at(hours) : hours,
        }),
      ),
    );
    return monitor.id;
  }

  async function uptime(id: string, since: string, until?: string): Promise<Uptime> {
    const { monitor } = await app.data<{ monitor: { uptime: Uptime } }>(
      ONE,
      { id, since, until },
      app.identities.readOnly.secret,
    );
    return monitor.uptime;
  }

  /** Seconds per status, in the order up, warn, down, maintenance, unknown. */
  const seconds = (u: Uptime) => [
    u.upSeconds,
    u.warnSeconds,
    u.downSeconds,
    u.maintenanceSeconds,
    u.unknownSeconds,
  ];

  // UNKNOWN 0–1, UP 1–3, DOWN 3–4, UP 4–10, WARN 10–now (12).
  const MIXED: History = [
    [1, UNKNOWN, UP],
    [3, UP, DOWN],
    [4, DOWN, UP],
    [10, UP, WARN],
  ];

  it('sums each stretch as its status up to now when until is omitted', async () => {
    const id = await monitorWith(MIXED);
    const result = await uptime(id, iso(0));
    expect(result.since).toBe(iso(0));
    expect(result.until).toBe(iso(12));
    expect(seconds(result)).toEqual([8 * 3600, 2 * 3600, 3600, 0, 3600]);
    expect(result.upPercent).toBeCloseTo((8 / 11) * 100, 10);
    // until follows the injected clock.
    clock.set(at(13));
    expect(seconds(await uptime(id, iso(0)))).toEqual([8 * 3600, 3 * 3600, 3600, 0, 3600]);
  });

  it('clamps since to the creation and until to now, and returns both as used', async () => {
    const id = await monitorWith(MIXED);
    const result = await uptime(id, iso(-30), iso(40));
    expect([result.since, result.until]).toEqual([iso(0), iso(12)]);
    expect(seconds(result)).toEqual([8 * 3600, 2 * 3600, 3600, 0, 3600]);
  });

  it('starts in the status the last event before since set', async () => {
    const id = await monitorWith(MIXED);
    const result = await uptime(id, iso(2), iso(5));
    expect(seconds(result)).toEqual([2 * 3600, 0, 3600, 0, 0]);
    expect(result.upPercent).toBeCloseTo((2 / 3) * 100, 10);
    // Only events before the window: WARN from 11 to 12.
    expect(seconds(await uptime(id, iso(11)))).toEqual([0, 3600, 0, 0, 0]);
  });

  it('an event exactly at since starts the window; one exactly at until ends it', async () => {
    const id = await monitorWith(MIXED);
    const result = await uptime(id, iso(3), iso(4));
    expect(seconds(result)).toEqual([0, 0, 3600, 0, 0]);
    expect(result.upPercent).toBe(0);
  });

  it('a monitor without events is its status all along: UNKNOWN, upPercent null', async () => {
    const id = await monitorWith([]);
    const result = await uptime(id, iso(0));
    expect(seconds(result)).toEqual([0, 0, 0, 0, 12 * 3600]);
    expect(result.upPercent).toBeNull();
    // A status with no event left to say since when (history gone): that status all along.
    const kept = await monitorWith([], { status: UP });
    expect(seconds(await uptime(kept, iso(6)))).toEqual([6 * 3600, 0, 0, 0, 0]);
  });

  it('without an event before since, the first later event’s previousStatus held until it', async () => {
    const id = await monitorWith([[6, WARN, DOWN]]);
    expect(seconds(await uptime(id, iso(0)))).toEqual([0, 6 * 3600, 6 * 3600, 0, 0]);
  });

  it('all maintenance: upPercent null, not 0', async () => {
    const id = await monitorWith([[0, UNKNOWN, MAINTENANCE]]);
    const result = await uptime(id, iso(0));
    expect(seconds(result)).toEqual([0, 0, 0, 12 * 3600, 0]);
    expect(result.upPercent).toBeNull();
  });

  it('a paused monitor counts as the status it had', async () => {
    const id = await monitorWith([[2, UNKNOWN, DOWN]], { paused: true });
    expect(seconds(await uptime(id, iso(0)))).toEqual([0, 0, 10 * 3600, 0, 2 * 3600]);
  });

  it('keeps milliseconds, and orders events at one instant by id', async () => {
    const a = '00000000-0000-4000-8000-00000000000a';
    const b = '00000000-0000-4000-8000-00000000000b';
    const id = await monitorWith([
      [1 + 123 / HOUR, UNKNOWN, UP],
      [5, UP, DOWN, a],
      [5, DOWN, WARN, b],
    ]);
    const result = await uptime(id, iso(0));
    expect(result.unknownSeconds).toBe(3600.123);
    expect(result.upSeconds).toBe(4 * 3600 - 0.123);
    expect([result.downSeconds, result.warnSeconds]).toEqual([0, 7 * 3600]);
  });

  it('the monitors of a list each get their own window and sums', async () => {
    const early = await monitorWith(MIXED);
    const late = await monitorWith([[8, UNKNOWN, UP]], { created: 6 });
    const { monitors } = await app.data<{
      monitors: { nodes: { id: string; uptime: Uptime }[] };
    }>(
      `query($since: DateTime!) { monitors(first: 1000) { nodes { id uptime(since: $since) { ${UPTIME} } } } }`,
      { since: iso(0) },
    );
    const byId = new Map(monitors.nodes.map((node) => [node.id, node.uptime]));
    expect(seconds(byId.get(early) as Uptime)).toEqual([8 * 3600, 2 * 3600, 3600, 0, 3600]);
    const lateUptime = byId.get(late) as Uptime;
    expect(lateUptime.since).toBe(iso(6));
    expect(seconds(lateUptime)).toEqual([4 * 3600, 0, 0, 0, 2 * 3600]);
    expect(lateUptime.upPercent).toBe(100);
  });

  it('an empty window after clamping is BAD_USER_INPUT, charged nothing beyond the monitor', async () => {
    const id = await monitorWith(MIXED, { created: 2 });
    const base = await run(`query($id: ID!) { monitor(id: $id) { id } }`, { id });
    for (const [since, until] of [
      [iso(5), iso(5)],
      [iso(6), iso(5)],
      [iso(12), undefined],
      [iso(20), iso(30)],
      [iso(-5), iso(1)],
    ]) {
      const result = await run(ONE, { id, since, until });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(/^since must be before until/);
      expect(result.cost?.actualQueryCost).toBe(base.cost?.actualQueryCost);
    }
  });

  it('costs its statement, its row and the events it reads; requested ≥ actual', async () => {
    const id = await monitorWith(MIXED);
    const base = await run(`query($id: ID!) { monitor(id: $id) { id } }`, { id });
    const result = await run(ONE, { id, since: iso(0) });
    expect(result.errors).toBeUndefined();
    const cost = result.cost as CostReport;
    // One statement, one row, the 4 events of the window and the start's.
    expect(cost.actualQueryCost - (base.cost as CostReport).actualQueryCost).toBe(1 + 1 + 5);
    expect(cost.requestedQueryCost).toBeGreaterThanOrEqual(cost.actualQueryCost);
  });

  it('another organization’s monitor, or one outside a token’s boards, stays unknown', async () => {
    const id = await monitorWith(MIXED);
    const other = await app.otherOrganization();
    const foreign = await app.execute(other.identity.secret, ONE, { id, since: iso(0) });
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data).toEqual({ monitor: null });
    const elsewhere = boardRow(app.organization.id, 'Elsewhere', at(-24));
    await insertRows(app.services, Board, [elsewhere]);
    const scoped = await scopedToken(app, 'scoped', TokenPermission.READ_ONLY, [elsewhere.id]);
    const outside = await app.execute(scoped.secret, ONE, { id, since: iso(0) });
    expect(outside.data).toEqual({ monitor: null });
    // The statement itself keeps to the organization and the scope: outside them it sums nothing.
    const monitor = (await app.services.monitors.get(app.systemActor(), id)) as Monitor;
    const service = new MonitorUptimeService(app.services.db, clock);
    const mine = await service.uptime(app.systemActor(), monitor, at(0), null);
    expect(seconds(mine as unknown as Uptime)).toEqual([8 * 3600, 2 * 3600, 3600, 0, 3600]);
    const theirs = await service.uptime(
      systemActor(other.organization, 'test'),
      monitor,
      at(0),
      null,
    );
    expect(seconds(theirs as unknown as Uptime)).toEqual([0, 0, 0, 0, 0]);
    const outsideScope = { ...app.systemActor(), boardScope: [elsewhere.id] };
    const unseen = await service.uptime(outsideScope, monitor, at(0), null);
    expect(seconds(unseen as unknown as Uptime)).toEqual([0, 0, 0, 0, 0]);
  });

  async function run(query: string, variables: Record<string, unknown>) {
    const response = await app.apollo.executeOperation(
      { query, variables },
      { contextValue: await app.contextFor(app.identities.readOnly.secret) },
    );
    if (response.body.kind !== 'single') {
      throw new Error('expected a single result');
    }
    const { errors, extensions } = response.body.singleResult;
    return { errors, cost: extensions?.cost as CostReport | undefined };
  }
});

describe('Monitor.uptime under a list', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
    await insertStatusFixture(app, {
      boards: 8,
      monitorsPerBoard: 4,
      eventsPerMonitor: 5,
      incidents: 0,
      updatesPerIncident: 0,
    });
  }, 60_000);
  afterAll(() => app.close());

  it('the same statements under 3 monitors as under 30, one for every uptime', async () => {
    const window = 'since: "2026-01-01T00:00:00.000Z", until: "2026-02-02T00:00:00.000Z"';
    const fields = 'since upSeconds downSeconds unknownSeconds';
    const query = `query($n: Int) { monitors(first: $n) { nodes { id uptime(${window}) { ${fields} } } } }`;
    type Data = { monitors: { nodes: { id: string; uptime: Record<string, number> }[] } };
    const few = await statementsOfRequest<Data>(app, query, { n: 3 });
    const many = await statementsOfRequest<Data>(app, query, { n: 30 });
    expect(many.data.monitors.nodes).toHaveLength(30);
    expect(many.statements.length).toBe(few.statements.length);
    expect(many.statements.length).toBe(2);
    // Under the list, each monitor's uptime is the one it has alone.
    for (const node of many.data.monitors.nodes.slice(0, 12)) {
      const alone = await app.data<{ monitor: { uptime: Record<string, number> } }>(
        `query($id: ID!) { monitor(id: $id) { uptime(${window}) { ${fields} } } }`,
        { id: node.id },
      );
      expect(node.uptime).toEqual(alone.monitor.uptime);
    }
    // A monitor created at 2026-02-01T00:00:00.000Z: DOWN, UP, DOWN, UP, then DOWN from 4 s.
    const first = many.data.monitors.nodes[0].uptime;
    expect(first).toEqual({
      since: '2026-02-01T00:00:00.000Z',
      upSeconds: 2,
      downSeconds: 86_400 - 2,
      unknownSeconds: 0,
    });
  });
});
