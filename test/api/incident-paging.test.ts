import { randomUUID } from 'node:crypto';
import { Board } from '../../src/boards/board.entity';
import { IncidentPhase, IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { MonitorStatus } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { boardRow, incidentRow, insertRows, monitorRow } from '../helpers/incident-fixture';
import { TestApp } from '../helpers/test-app';

/**
 * Incident lists (API.md sections 5 and 6) over a fixture of 2,100+ incidents where hundreds
 * share one startedAt and one updatedAt: every page order, the filters, the refusals, and the
 * nested connections Board.incidents, Board.monitors and Monitor.statusEvents.
 */

type Order = 'STARTED_AT_DESC' | 'STARTED_AT_ASC' | 'UPDATED_AT_ASC';

interface NodeJson {
  id: string;
}

interface PageJson {
  nodes: NodeJson[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface Keyed {
  id: string;
  key: Date;
}

interface Filter {
  boardId?: string;
  monitorId?: string;
  phase?: IncidentPhase;
  severity?: IncidentSeverity;
  startedAfter?: string;
  startedBefore?: string;
  includeDeleted?: boolean;
}

const STARTED = new Date('2026-03-01T12:00:00.000Z');
const UPDATED = new Date('2026-03-05T08:30:00.000Z');
const LIVE = 2100;
const TIED = 700;

const SEVERITIES = [IncidentSeverity.MINOR, IncidentSeverity.MAJOR, IncidentSeverity.MAINTENANCE];
const INCIDENT_PHASES = [
  IncidentPhase.INVESTIGATING,
  IncidentPhase.IDENTIFIED,
  IncidentPhase.MONITORING,
  IncidentPhase.RESOLVED,
];
const MAINTENANCE_PHASES = [
  IncidentPhase.SCHEDULED,
  IncidentPhase.IN_PROGRESS,
  IncidentPhase.VERIFYING,
  IncidentPhase.COMPLETED,
];

/** `(key, id)` order computed here, independently of the server (ids compare as SQLite text). */
function sortedIds(rows: Keyed[], direction: 'ASC' | 'DESC'): string[] {
  return [...rows]
    .sort((a, b) => {
      const diff = a.key.getTime() - b.key.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      return direction === 'ASC' ? diff : -diff;
    })
    .map((row) => row.id);
}

function expectedOrder(rows: Incident[], order: Order): string[] {
  switch (order) {
    case 'STARTED_AT_DESC':
      return sortedIds(
        rows.map((r) => ({ id: r.id, key: r.startedAt })),
        'DESC',
      );
    case 'STARTED_AT_ASC':
      return sortedIds(
        rows.map((r) => ({ id: r.id, key: r.startedAt })),
        'ASC',
      );
    case 'UPDATED_AT_ASC':
      return sortedIds(
        rows.map((r) => ({ id: r.id, key: r.updatedAt })),
        'ASC',
      );
  }
}

const at = (ms: number) => new Date(ms);

/**
 * Variables without the undefined ones, as JSON over HTTP would send them: executeOperation
 * passes an own property holding undefined on as null.
 */
function defined(variables: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined));
}

describe('incident lists over 2,100 incidents with tied timestamps', () => {
  let app: TestApp;
  let boards: Board[];
  let monitors: Monitor[];
  /** Every incident of the organization, tombstones included. */
  let all: Incident[];
  let live: Incident[];
  let tombstones: Incident[];
  let foreign: Incident[];
  /** incidentId → monitor ids it lists. */
  const links = new Map<string, Set<string>>();
  let eventMonitor: Monitor;
  let events: StatusEvent[];
  let boardMonitors: Monitor[];

  beforeAll(async () => {
    app = await TestApp.start();
    const org = app.organization.id;
    const board = (name: string, organizationId = org) => boardRow(organizationId, name, STARTED);
    boards = [board('Alpha'), board('Beta'), board('Gamma')];
    const { organization: other } = await app.otherOrganization();
    const otherBoard = board('Other', other.id);
    await app.services.db.write((m) => m.insert(Board, [...boards, otherBoard]));

    const monitor = (boardId: string, i: number, createdAt: Date, organizationId = org) =>
      monitorRow(organizationId, boardId, `Monitor ${i}`, createdAt);
    monitors = [monitor(boards[0].id, 0, STARTED), monitor(boards[1].id, 1, STARTED)];
    // Board Beta holds 40 monitors, 25 of them created at one instant.
    boardMonitors = [
      monitors[1],
      ...Array.from({ length: 39 }, (_, i) =>
        monitor(boards[1].id, 100 + i, i < 24 ? STARTED : at(STARTED.getTime() + (i % 5) - 2)),
      ),
    ];
    const otherMonitor = monitor(otherBoard.id, 999, STARTED, other.id);
    const extraMonitors = boardMonitors.slice(1);
    await app.services.db.write((m) =>
      m.insert(Monitor, [...monitors, ...extraMonitors, otherMonitor]),
    );

    const incident = (i: number, overrides: Partial<Incident> = {}): Incident => {
      const severity = SEVERITIES[i % 3];
      const phases =
        severity === IncidentSeverity.MAINTENANCE ? MAINTENANCE_PHASES : INCIDENT_PHASES;
      const phase = phases[Math.floor(i / 3) % 4];
      const closed = phase === IncidentPhase.RESOLVED || phase === IncidentPhase.COMPLETED;
      // 700 share STARTED exactly; the rest lie around it, a few milliseconds apart, with more ties.
      const startedAt = i < TIED ? STARTED : at(STARTED.getTime() + ((i * 7919) % 301) - 150);
      // A different 700 share UPDATED exactly; the rest lie in groups of equal values.
      const updatedAt =
        i >= LIVE - TIED ? UPDATED : at(UPDATED.getTime() - 1000 + ((i * 104729) % 97));
      return incidentRow(org, boards[Math.floor(i / 2) % boards.length].id, i, startedAt, {
        details: i % 2 === 0 ? `Details of ${i}` : null,
        severity,
        phase,
        resolvedAt: closed ? at(startedAt.getTime() + 60_000) : null,
        willStartAt: severity === IncidentSeverity.MAINTENANCE ? startedAt : null,
        willEndAt:
          severity === IncidentSeverity.MAINTENANCE ? at(startedAt.getTime() + 3_600_000) : null,
        updatedAt,
        ...overrides,
      });
    };
    live = Array.from({ length: LIVE }, (_, i) => incident(i));
    // Tombstones and another organization's incidents at the very same instants.
    tombstones = Array.from({ length: 12 }, (_, i) =>
      incident(5000 + i, { startedAt: STARTED, updatedAt: UPDATED, deletedAt: UPDATED }),
    );
    foreign = Array.from({ length: 9 }, (_, i) =>
      incident(6000 + i, {
        organizationId: other.id,
        boardId: otherBoard.id,
        startedAt: STARTED,
        updatedAt: UPDATED,
      }),
    );
    all = [...live, ...tombstones];
    await insertRows(app.services, Incident, [...all, ...foreign]);

    // Monitor 0 is listed by every 7th incident (some tombstones among them), monitor 1 by
    // every 5th; the other organization's incidents list its own monitor.
    const link = (incidentId: string, monitorId: string) => {
      links.set(incidentId, new Set([...(links.get(incidentId) ?? []), monitorId]));
      return { incidentId, monitorId };
    };
    const linkRows = [
      ...all.filter((_, i) => i % 7 === 0).map((r) => link(r.id, monitors[0].id)),
      ...all.filter((_, i) => i % 5 === 0).map((r) => link(r.id, monitors[1].id)),
      ...foreign.map((r) => ({ incidentId: r.id, monitorId: otherMonitor.id })),
    ];
    await insertRows(app.services, IncidentMonitor, linkRows);

    // Status history: 60 events of one monitor, 30 at one instant, and events of another.
    eventMonitor = monitors[0];
    const event = (monitorId: string, i: number, recordedAt: Date) =>
      Object.assign(new StatusEvent(), {
        id: randomUUID(),
        organizationId: org,
        monitorId,
        status: i % 2 === 0 ? MonitorStatus.DOWN : MonitorStatus.UP,
        previousStatus: i % 2 === 0 ? MonitorStatus.UP : MonitorStatus.DOWN,
        message: null,
        recordedAt,
      });
    events = Array.from({ length: 60 }, (_, i) =>
      event(eventMonitor.id, i, i < 30 ? STARTED : at(STARTED.getTime() + (i % 7) - 3)),
    );
    const otherEvents = Array.from({ length: 10 }, (_, i) => event(monitors[1].id, i, STARTED));
    await app.services.db.write((m) => m.insert(StatusEvent, [...events, ...otherEvents]));
  });

  afterAll(() => app.close());

  const QUERY = `query($first: Int, $after: String, $orderBy: IncidentOrder, $filter: IncidentFilter) {
    incidents(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
      nodes { id }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  async function page(args: {
    first?: number;
    after?: string | null;
    orderBy?: Order;
    filter?: Filter;
  }): Promise<PageJson> {
    const result = await app.execute<{ incidents: PageJson }>(
      app.identities.readOnly.secret,
      QUERY,
      defined(args),
    );
    expect(result.errors).toBeUndefined();
    const connection = result.data?.incidents;
    if (!connection) {
      throw new Error('no incidents in the response');
    }
    return connection;
  }

  /** Walks a list to its end with `after`, checking every page's size and pageInfo. */
  async function walk(
    first: number,
    orderBy: Order | undefined,
    filter?: Filter,
    fetchPage: (after: string | null) => Promise<PageJson> = (after) =>
      page({ first, after, orderBy, filter }),
  ): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10_000; pages++) {
      const current: PageJson = await fetchPage(after);
      ids.push(...current.nodes.map((n) => n.id));
      if (!current.pageInfo.hasNextPage) {
        expect(current.nodes.length).toBeLessThanOrEqual(first);
        if (current.pageInfo.endCursor !== null) {
          const rest = await fetchPage(current.pageInfo.endCursor);
          expect(rest.nodes).toEqual([]);
          expect(rest.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
        }
        return ids;
      }
      expect(current.nodes).toHaveLength(first);
      expect(current.pageInfo.endCursor).toEqual(expect.any(String));
      after = current.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  function expectExactlyOnce(ids: string[], expected: string[]): void {
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(expected.length);
    expect(ids).toEqual(expected);
  }

  it('the fixture has the ties it claims', () => {
    const startedCounts = new Map<number, number>();
    const updatedCounts = new Map<number, number>();
    for (const row of live) {
      startedCounts.set(
        row.startedAt.getTime(),
        (startedCounts.get(row.startedAt.getTime()) ?? 0) + 1,
      );
      updatedCounts.set(
        row.updatedAt.getTime(),
        (updatedCounts.get(row.updatedAt.getTime()) ?? 0) + 1,
      );
    }
    expect(live.length).toBeGreaterThanOrEqual(2100);
    expect(startedCounts.get(STARTED.getTime())).toBeGreaterThanOrEqual(TIED);
    expect(updatedCounts.get(UPDATED.getTime())).toBeGreaterThanOrEqual(TIED);
    // Ties outside the big groups too.
    expect([...startedCounts.values()].filter((n) => n > 1).length).toBeGreaterThan(100);
    expect([...updatedCounts.values()].filter((n) => n > 1).length).toBeGreaterThan(50);
  });

  // STARTED_AT_DESC is asked for by omitting orderBy (its default) with first: 50 and by name
  // with first: 1000.
  describe.each([
    ['STARTED_AT_DESC', undefined, 'STARTED_AT_DESC'],
    ['STARTED_AT_ASC', 'STARTED_AT_ASC', 'STARTED_AT_ASC'],
    ['UPDATED_AT_ASC', 'UPDATED_AT_ASC', 'UPDATED_AT_ASC'],
  ] as const)('orderBy %s', (_label, orderBy, effective) => {
    it('first: 50 returns every live incident exactly once, in (key, id) order', async () => {
      expectExactlyOnce(await walk(50, orderBy), expectedOrder(live, effective));
    });

    it('first: 1000 over HTTP returns every live incident exactly once, in (key, id) order', async () => {
      const client = app.asReadOnly();
      const ids = await walk(1000, effective, undefined, async (after) => {
        const data = await client.data<{ incidents: PageJson }>(QUERY, {
          first: 1000,
          after,
          orderBy: effective,
        });
        return data.incidents;
      });
      expectExactlyOnce(ids, expectedOrder(live, effective));
    });

    it('includeDeleted: true adds the tombstones, each exactly once, in order', async () => {
      const ids = await walk(150, orderBy, { includeDeleted: true });
      expectExactlyOnce(ids, expectedOrder(all, effective));
      const tombstoneIds = new Set(tombstones.map((t) => t.id));
      expect(ids.filter((id) => tombstoneIds.has(id))).toHaveLength(tombstones.length);
    });
  });

  it('another organization’s incidents never appear, even with includeDeleted', async () => {
    const ids = new Set(await walk(1000, 'UPDATED_AT_ASC', { includeDeleted: true }));
    expect(ids.size).toBe(all.length);
    for (const row of foreign) {
      expect(ids.has(row.id)).toBe(false);
    }
  });

  it('edges carry the same cursors as endCursor, and any edge cursor continues the list', async () => {
    const result = await app.execute<{
      incidents: PageJson & { edges: { cursor: string; node: NodeJson }[] };
    }>(
      app.identities.readOnly.secret,
      `{ incidents(first: 100) { nodes { id } edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
    );
    const connection = result.data?.incidents;
    const expected = expectedOrder(live, 'STARTED_AT_DESC');
    expect(connection?.edges.map((e) => e.node.id)).toEqual(expected.slice(0, 100));
    expect(connection?.edges.at(-1)?.cursor).toBe(connection?.pageInfo.endCursor);
    // Edge 42 lies inside the 700 incidents that share one startedAt.
    const middle = connection?.edges[42]?.cursor ?? null;
    const next = await page({ first: 17, after: middle });
    expect(next.nodes.map((n) => n.id)).toEqual(expected.slice(43, 60));
  });

  describe('filters combined with paging', () => {
    const byStarted = (rows: Incident[]) => expectedOrder(rows, 'STARTED_AT_DESC');

    it('boardId', async () => {
      const board = boards[1];
      expectExactlyOnce(
        await walk(50, undefined, { boardId: board.id }),
        byStarted(live.filter((r) => r.boardId === board.id)),
      );
    });

    it.each(SEVERITIES)('severity %s', async (severity) => {
      expectExactlyOnce(
        await walk(100, 'UPDATED_AT_ASC', { severity }),
        expectedOrder(
          live.filter((r) => r.severity === severity),
          'UPDATED_AT_ASC',
        ),
      );
    });

    it.each([IncidentPhase.RESOLVED, IncidentPhase.SCHEDULED, IncidentPhase.INVESTIGATING])(
      'phase %s',
      async (phase) => {
        const expected = byStarted(live.filter((r) => r.phase === phase));
        expect(expected.length).toBeGreaterThan(100);
        expectExactlyOnce(await walk(50, undefined, { phase }), expected);
      },
    );

    it('startedAfter and startedBefore are exclusive', async () => {
      // The 700 incidents at exactly STARTED are outside both ranges that end at it.
      const before = await walk(100, 'STARTED_AT_ASC', { startedBefore: STARTED.toISOString() });
      expectExactlyOnce(
        before,
        expectedOrder(
          live.filter((r) => r.startedAt < STARTED),
          'STARTED_AT_ASC',
        ),
      );
      const after = await walk(100, undefined, { startedAfter: STARTED.toISOString() });
      expectExactlyOnce(after, byStarted(live.filter((r) => r.startedAt > STARTED)));
      const from = at(STARTED.getTime() - 40);
      const to = at(STARTED.getTime() + 40);
      const window = await walk(50, undefined, {
        startedAfter: from.toISOString(),
        startedBefore: to.toISOString(),
      });
      const expected = byStarted(live.filter((r) => r.startedAt > from && r.startedAt < to));
      expect(expected.length).toBeGreaterThan(TIED);
      expectExactlyOnce(window, expected);
      const exact = live.filter((r) => r.startedAt.getTime() === STARTED.getTime()).length;
      expect(exact).toBeGreaterThanOrEqual(TIED);
      expect(before.length + after.length + exact).toBe(live.length);
    });

    it('monitorId, with and without tombstones', async () => {
      const lists = (row: Incident) => links.get(row.id)?.has(monitors[0].id) === true;
      expectExactlyOnce(
        await walk(50, undefined, { monitorId: monitors[0].id }),
        byStarted(live.filter(lists)),
      );
      const withDeleted = await walk(50, 'UPDATED_AT_ASC', {
        monitorId: monitors[0].id,
        includeDeleted: true,
      });
      const expected = expectedOrder(all.filter(lists), 'UPDATED_AT_ASC');
      expect(expected.some((id) => tombstones.some((t) => t.id === id))).toBe(true);
      expectExactlyOnce(withDeleted, expected);
    });

    it('several filters at once', async () => {
      const filter = {
        boardId: boards[2].id,
        severity: IncidentSeverity.MAJOR,
        monitorId: monitors[1].id,
        startedBefore: at(STARTED.getTime() + 1).toISOString(),
      };
      const expected = expectedOrder(
        live.filter(
          (r) =>
            r.boardId === boards[2].id &&
            r.severity === IncidentSeverity.MAJOR &&
            links.get(r.id)?.has(monitors[1].id) === true &&
            r.startedAt.getTime() < STARTED.getTime() + 1,
        ),
        'STARTED_AT_ASC',
      );
      expect(expected.length).toBeGreaterThan(20);
      expectExactlyOnce(await walk(7, 'STARTED_AT_ASC', filter), expected);
    });

    it('a filter that matches nothing gives an empty page', async () => {
      const empty = await page({ filter: { boardId: 'no-such-board' } });
      expect(empty).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });
  });

  describe('refusals', () => {
    async function refusal(args: Record<string, unknown>) {
      const result = await app.execute(app.identities.readOnly.secret, QUERY, args);
      expect(result.data ?? null).toBeNull();
      expect(result.errors).toHaveLength(1);
      return result.errors?.[0];
    }

    it.each([
      ['STARTED_AT_DESC', 'STARTED_AT_ASC'],
      ['STARTED_AT_DESC', 'UPDATED_AT_ASC'],
      ['STARTED_AT_ASC', 'STARTED_AT_DESC'],
      ['STARTED_AT_ASC', 'UPDATED_AT_ASC'],
      ['UPDATED_AT_ASC', 'STARTED_AT_DESC'],
      ['UPDATED_AT_ASC', 'STARTED_AT_ASC'],
    ] as const)('a cursor of %s passed to %s is BAD_USER_INPUT', async (from, to) => {
      const first = await page({ first: 3, orderBy: from });
      expect(first.pageInfo.endCursor).toEqual(expect.any(String));
      const error = await refusal({ first: 3, orderBy: to, after: first.pageInfo.endCursor });
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error?.message).toMatch(/\bafter\b/);
    });

    it.each([1001, -1])('first: %i is BAD_USER_INPUT', async (first) => {
      const error = await refusal({ first });
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error?.message).toMatch(/\bfirst\b/);
    });

    it.each([
      'garbage',
      '!!!',
      Buffer.from('[]').toString('base64url'),
      Buffer.from('["not a date","x","incidents.startedAt:DESC"]').toString('base64url'),
      Buffer.from('["2026-03-01T12:00:00.000Z","x"]').toString('base64url'),
      Buffer.from('[1,"x","incidents.startedAt:DESC"]').toString('base64url'),
    ])('a malformed after (%s) is BAD_USER_INPUT', async (after) => {
      const error = await refusal({ after });
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error?.message).toMatch(/\bafter\b/);
    });

    it('orderBy: null is refused as the client’s mistake, not as an internal error', async () => {
      // API.md section 7: a message says what was wrong; INTERNAL_SERVER_ERROR is for server faults.
      const response = await app.asReadOnly().request(QUERY, { first: 5, orderBy: null });
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toMatch(/orderBy/);
    });

    it('first: 1000 and first: 0 are allowed', async () => {
      expect((await page({ first: 1000 })).nodes).toHaveLength(1000);
      const empty = await page({ first: 0 });
      expect(empty.nodes).toEqual([]);
      expect(empty.pageInfo.endCursor).toBeNull();
    });
  });

  describe('nested connections', () => {
    it('boards { nodes { incidents(first: 7) } } gives each board its own first page', async () => {
      const result = await app.execute<{
        boards: { nodes: { id: string; incidents: PageJson }[] };
      }>(
        app.identities.readOnly.secret,
        `{ boards(first: 10) { nodes { id incidents(first: 7) { nodes { id } pageInfo { hasNextPage endCursor } } } } }`,
      );
      expect(result.errors).toBeUndefined();
      const nodes = result.data?.boards.nodes ?? [];
      expect(nodes.map((b) => b.id).sort()).toEqual(boards.map((b) => b.id).sort());
      for (const node of nodes) {
        const expected = expectedOrder(
          live.filter((r) => r.boardId === node.id),
          'STARTED_AT_DESC',
        );
        expect(node.incidents.nodes.map((n) => n.id)).toEqual(expected.slice(0, 7));
        expect(node.incidents.pageInfo.hasNextPage).toBe(true);
      }
    });

    it('Board.incidents pages through one board, every incident once', async () => {
      const board = boards[0];
      const ids = await walk(25, undefined, undefined, async (after) => {
        const result = await app.execute<{
          boards: { nodes: { id: string; incidents: PageJson }[] };
        }>(
          app.identities.readOnly.secret,
          `query($after: String) { boards(first: 10) { nodes { id incidents(first: 25, after: $after, orderBy: UPDATED_AT_ASC) { nodes { id } pageInfo { hasNextPage endCursor } } } } }`,
          { after },
        );
        expect(result.errors).toBeUndefined();
        const found = result.data?.boards.nodes.find((b) => b.id === board.id);
        if (!found) {
          throw new Error('board missing');
        }
        return found.incidents;
      });
      expectExactlyOnce(
        ids,
        expectedOrder(
          live.filter((r) => r.boardId === board.id),
          'UPDATED_AT_ASC',
        ),
      );
    });

    it('Board.incidents keeps its own board even when the filter names another', async () => {
      const result = await app.execute<{ board: { incidents: PageJson } | null }>(
        app.identities.readOnly.secret,
        `query($id: ID!, $other: ID!) { board(id: $id) {
          incidents(first: 1000, filter: { boardId: $other, severity: MINOR }) { nodes { id } pageInfo { hasNextPage endCursor } }
        } }`,
        { id: boards[2].id, other: boards[0].id },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data?.board?.incidents.nodes.map((n) => n.id)).toEqual(
        expectedOrder(
          live.filter((r) => r.boardId === boards[2].id && r.severity === IncidentSeverity.MINOR),
          'STARTED_AT_DESC',
        ),
      );
    });

    it('Board.monitors pages through the board’s monitors in (createdAt, id) order', async () => {
      const ids = await walk(7, undefined, undefined, async (after) => {
        const result = await app.execute<{ board: { monitors: PageJson } | null }>(
          app.identities.readOnly.secret,
          `query($id: ID!, $after: String) { board(id: $id) {
            monitors(first: 7, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
          } }`,
          { id: boards[1].id, after },
        );
        expect(result.errors).toBeUndefined();
        const connection = result.data?.board?.monitors;
        if (!connection) {
          throw new Error('board missing');
        }
        return connection;
      });
      expectExactlyOnce(
        ids,
        sortedIds(
          boardMonitors.map((m) => ({ id: m.id, key: m.createdAt })),
          'ASC',
        ),
      );
    });

    it('Monitor.statusEvents pages newest first by (recordedAt, id), only its own events', async () => {
      const ids = await walk(7, undefined, undefined, async (after) => {
        const result = await app.execute<{ monitor: { statusEvents: PageJson } | null }>(
          app.identities.readOnly.secret,
          `query($id: ID!, $after: String) { monitor(id: $id) {
            statusEvents(first: 7, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
          } }`,
          { id: eventMonitor.id, after },
        );
        expect(result.errors).toBeUndefined();
        const connection = result.data?.monitor?.statusEvents;
        if (!connection) {
          throw new Error('monitor missing');
        }
        return connection;
      });
      expectExactlyOnce(
        ids,
        sortedIds(
          events.map((e) => ({ id: e.id, key: e.recordedAt })),
          'DESC',
        ),
      );
    });

    it('Monitor.statusEvents in a list of monitors: each monitor’s own first page, continued by its endCursor', async () => {
      const result = await app.execute<{
        monitors: { nodes: { id: string; statusEvents: PageJson }[] };
      }>(
        app.identities.readOnly.secret,
        `{ monitors(first: 1000) { nodes { id statusEvents(first: 7) { nodes { id } pageInfo { hasNextPage endCursor } } } } }`,
      );
      expect(result.errors).toBeUndefined();
      const nodes = result.data?.monitors.nodes ?? [];
      expect(nodes).toHaveLength(boardMonitors.length + 1);
      const expected = sortedIds(
        events.map((e) => ({ id: e.id, key: e.recordedAt })),
        'DESC',
      );
      for (const node of nodes) {
        if (node.id === eventMonitor.id) {
          expect(node.statusEvents.nodes.map((n) => n.id)).toEqual(expected.slice(0, 7));
          expect(node.statusEvents.pageInfo.hasNextPage).toBe(true);
          const next = await app.execute<{ monitor: { statusEvents: PageJson } | null }>(
            app.identities.readOnly.secret,
            `query($id: ID!, $after: String) { monitor(id: $id) {
              statusEvents(first: 7, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
            } }`,
            { id: node.id, after: node.statusEvents.pageInfo.endCursor },
          );
          expect(next.data?.monitor?.statusEvents.nodes.map((n) => n.id)).toEqual(
            expected.slice(7, 14),
          );
        } else if (node.id === monitors[1].id) {
          expect(node.statusEvents.nodes).toHaveLength(7);
          expect(node.statusEvents.pageInfo.hasNextPage).toBe(true);
        } else {
          expect(node.statusEvents).toEqual({
            nodes: [],
            pageInfo: { hasNextPage: false, endCursor: null },
          });
        }
      }
    });

    it('a nested connection refuses first out of range and a malformed cursor', async () => {
      for (const args of [{ first: 1001 }, { first: -1 }, { first: 5, after: 'garbage' }]) {
        const result = await app.execute(
          app.identities.readOnly.secret,
          `query($id: ID!, $first: Int, $after: String) { monitor(id: $id) {
            statusEvents(first: $first, after: $after) { nodes { id } }
          } }`,
          { id: eventMonitor.id, ...args },
        );
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      }
    });
  });
});
