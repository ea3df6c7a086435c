import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Board } from '../../src/boards/board.entity';
import { IncidentPhase, IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { MonitorStatus, MonitorType } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { statementsOf } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * No N+1: the SQL statements one GraphQL request costs, counted by an observing TypeORM logger
 * (every statement passes through `dataSource.logger.logQuery`), not by mocking anything.
 */

const AT = new Date('2026-02-01T00:00:00.000Z');
const INCIDENTS = 1010;
const BOARDS = 5;
const MONITORS_PER_BOARD = 6;

describe('SQL statements per request', () => {
  let app: TestApp;
  let incidents: Incident[];
  let monitors: Monitor[];
  let boards: Board[];
  const monitorsOf = new Map<string, string[]>();
  const updatesOf = new Map<string, string[]>();

  beforeAll(async () => {
    app = await TestApp.start();
    const org = app.organization.id;
    boards = Array.from({ length: BOARDS }, (_, i) =>
      Object.assign(new Board(), {
        id: randomUUID(),
        organizationId: org,
        name: `Board ${i}`,
        createdAt: AT,
        updatedAt: AT,
        deletedAt: null,
      }),
    );
    await app.services.db.write((m) => m.insert(Board, boards));
    monitors = boards.flatMap((board, b) =>
      Array.from({ length: MONITORS_PER_BOARD }, (_, i) =>
        Object.assign(new Monitor(), {
          id: randomUUID(),
          organizationId: org,
          boardId: board.id,
          displayName: `Monitor ${b}.${i}`,
          monitorType: MonitorType.CUSTOM,
          status: MonitorStatus.UP,
          paused: false,
          url: null,
          host: null,
          serviceName: null,
          checkIntervalMinutes: 5,
          requestHeadersJson: null,
          lastCheckedAt: AT,
          createdAt: new Date(AT.getTime() + i),
          updatedAt: AT,
        }),
      ),
    );
    await app.services.db.write((m) => m.insert(Monitor, monitors));
    const events = monitors.flatMap((monitor) =>
      [MonitorStatus.DOWN, MonitorStatus.UP].map((status, i) =>
        Object.assign(new StatusEvent(), {
          id: randomUUID(),
          organizationId: org,
          monitorId: monitor.id,
          status,
          previousStatus: i === 0 ? MonitorStatus.UNKNOWN : MonitorStatus.DOWN,
          message: null,
          recordedAt: new Date(AT.getTime() + i * 1000),
        }),
      ),
    );
    await app.services.db.write((m) => m.insert(StatusEvent, events));

    incidents = Array.from({ length: INCIDENTS }, (_, i) =>
      Object.assign(new Incident(), {
        id: randomUUID(),
        organizationId: org,
        boardId: boards[i % BOARDS].id,
        name: `Incident ${i}`,
        details: null,
        severity: IncidentSeverity.MINOR,
        phase: IncidentPhase.IDENTIFIED,
        startedAt: new Date(AT.getTime() + i),
        resolvedAt: null,
        willStartAt: null,
        willEndAt: null,
        createdAt: AT,
        updatedAt: AT,
        deletedAt: null,
      }),
    );
    const links: IncidentMonitor[] = [];
    const updates: IncidentUpdate[] = [];
    incidents.forEach((incident, i) => {
      const own = monitors.filter((m) => m.boardId === incident.boardId);
      const listed = own.slice(0, 1 + (i % 3)).map((m) => m.id);
      monitorsOf.set(incident.id, listed);
      links.push(...listed.map((monitorId) => ({ incidentId: incident.id, monitorId })));
      const ids = [randomUUID(), randomUUID()];
      updatesOf.set(incident.id, ids);
      updates.push(
        ...ids.map((id, u) =>
          Object.assign(new IncidentUpdate(), {
            id,
            incidentId: incident.id,
            phase: IncidentPhase.IDENTIFIED,
            message: `Update ${u} of ${i}`,
            createdAt: new Date(AT.getTime() + u),
          }),
        ),
      );
    });
    // Chunks of 500 rows per insert keep each statement within SQLite's parameter limit.
    const inChunks = async <T>(
      rows: T[],
      insert: (manager: EntityManager, chunk: T[]) => Promise<unknown>,
    ) => {
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await app.services.db.write((m) => insert(m, chunk));
      }
    };
    await inChunks(incidents, (m, chunk) => m.insert(Incident, chunk));
    await inChunks(links, (m, chunk) => m.insert(IncidentMonitor, chunk));
    await inChunks(updates, (m, chunk) => m.insert(IncidentUpdate, chunk));
  });

  afterAll(() => app.close());

  /**
   * The statements of one request, authentication excluded: the context is built first, and the
   * background last-use write it schedules is flushed before counting starts.
   */
  async function measure<T>(
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<{ data: T; statements: string[] }> {
    const contextValue = await app.contextFor(app.identities.readOnly.secret);
    await app.services.lastUse.flush();
    let data: T | undefined;
    const statements = await statementsOf(app.services.db, async () => {
      const response = await app.apollo.executeOperation({ query, variables }, { contextValue });
      if (response.body.kind !== 'single') {
        throw new Error('expected a single result');
      }
      expect(response.body.singleResult.errors).toBeUndefined();
      data = response.body.singleResult.data as T;
    });
    if (data === undefined) {
      throw new Error('no data');
    }
    return { data, statements };
  }

  it('the counting logger sees the statements TypeORM runs', async () => {
    const statements = await statementsOf(app.services.db, async () => {
      await app.services.db.reader.query('SELECT 1');
      await app.services.db.reader.count(Board);
    });
    expect(statements).toHaveLength(2);
    expect(statements[0]).toBe('SELECT 1');
    expect(statements[1]).toMatch(/^SELECT COUNT/i);
    // The original logger is back afterwards.
    const after = await statementsOf(app.services.db, async () => undefined);
    expect(after).toEqual([]);
  });

  const INCIDENT_PAGE = `query($first: Int) {
    incidents(first: $first, orderBy: STARTED_AT_ASC) {
      nodes {
        id name
        board { id name }
        monitors { id displayName board { name } }
        updates { id message }
      }
    }
  }`;

  interface IncidentPageData {
    incidents: {
      nodes: {
        id: string;
        name: string;
        board: { id: string; name: string };
        monitors: { id: string; displayName: string; board: { name: string } }[];
        updates: { id: string; message: string }[];
      }[];
    };
  }

  it('a page of 1000 incidents with board, monitors (and their boards) and updates costs a small constant number of statements', async () => {
    const large = await measure<IncidentPageData>(INCIDENT_PAGE, { first: 1000 });
    const small = await measure<IncidentPageData>(INCIDENT_PAGE, { first: 10 });

    // The data is all there: the counts are of a request that did its whole job.
    expect(large.data.incidents.nodes).toHaveLength(1000);
    expect(small.data.incidents.nodes).toHaveLength(10);
    const boardName = new Map(boards.map((b) => [b.id, b.name]));
    for (const node of large.data.incidents.nodes) {
      const incident = incidents.find((i) => i.id === node.id);
      expect(node.board.name).toBe(boardName.get(incident?.boardId ?? ''));
      expect(node.monitors.map((m) => m.id).sort()).toEqual(
        [...(monitorsOf.get(node.id) ?? [])].sort(),
      );
      for (const monitor of node.monitors) {
        expect(monitor.board.name).toBe(node.board.name);
      }
      expect(node.updates.map((u) => u.id).sort()).toEqual(
        [...(updatesOf.get(node.id) ?? [])].sort(),
      );
    }

    expect(large.statements.every((s) => /^\s*SELECT/i.test(s))).toBe(true);
    expect(large.statements.length).toBeGreaterThanOrEqual(1);
    expect(large.statements.length).toBeLessThanOrEqual(10);
    expect(large.statements.length).toBe(small.statements.length);
  });

  const MONITOR_BOARDS = `query($first: Int) {
    monitors(first: $first) { nodes { id board { name } } }
  }`;

  it('a page of monitors with their boards costs the same at 1000 as at 10', async () => {
    const large = await measure<{ monitors: { nodes: { id: string }[] } }>(MONITOR_BOARDS, {
      first: 1000,
    });
    const small = await measure<{ monitors: { nodes: { id: string }[] } }>(MONITOR_BOARDS, {
      first: 10,
    });
    expect(large.data.monitors.nodes).toHaveLength(monitors.length);
    expect(small.data.monitors.nodes).toHaveLength(10);
    expect(large.statements.length).toBeLessThanOrEqual(5);
    expect(large.statements.length).toBe(small.statements.length);
  });

  it('a page of monitors with their boards and first status events costs the same at 1000 as at 10', async () => {
    const query = `query($first: Int) {
      monitors(first: $first) {
        nodes { id board { name } statusEvents(first: 1) { nodes { status } pageInfo { hasNextPage } } }
      }
    }`;
    type Data = {
      monitors: {
        nodes: {
          id: string;
          statusEvents: { nodes: { status: string }[]; pageInfo: { hasNextPage: boolean } };
        }[];
      };
    };
    const large = await measure<Data>(query, { first: 1000 });
    const small = await measure<Data>(query, { first: 10 });
    expect(large.data.monitors.nodes).toHaveLength(monitors.length);
    expect(small.data.monitors.nodes).toHaveLength(10);
    for (const node of large.data.monitors.nodes) {
      // Each monitor has two events; the newest is UP.
      expect(node.statusEvents).toEqual({
        nodes: [{ status: 'UP' }],
        pageInfo: { hasNextPage: true },
      });
    }
    expect(large.statements.length).toBeLessThanOrEqual(10);
    expect(large.statements.length).toBe(small.statements.length);
  });
});
