import { randomUUID } from 'node:crypto';
import { Board } from '../../src/boards/board.entity';
import type { Incident } from '../../src/incidents/incident.entity';
import { MonitorStatus } from '../../src/monitors/monitor-enums';
import type { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { insertBulkIncidents } from '../helpers/incident-fixture';
import { statementsOf, statementsOfRequest } from '../helpers/statements';
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
  let monitorsOf: Map<string, string[]>;
  let updatesOf: Map<string, string[]>;

  beforeAll(async () => {
    app = await TestApp.start();
    const org = app.organization.id;
    ({ boards, monitors, incidents, monitorsOf, updatesOf } = await insertBulkIncidents(
      app.services,
      org,
      {
        at: AT,
        count: INCIDENTS,
        boards: BOARDS,
        monitorsPerBoard: MONITORS_PER_BOARD,
        spacingMs: 1,
        updatesPerIncident: 2,
        details: false,
      },
    ));
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
  });

  afterAll(() => app.close());

  /** The statements of one request (see statementsOfRequest). */
  const measure = <T>(query: string, variables: Record<string, unknown> = {}) =>
    statementsOfRequest<T>(app, query, variables);

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

  // Incident.board and Incident.monitors are marked JoinedFrom: on a list page they come with the
  // page's rows (the board joined in its statement, the monitors in one for the page), and no
  // board or monitor of their own is read.
  it("reads a page's boards and monitors with the page, in no statement of their own", async () => {
    const { data, statements } = await measure<IncidentPageData>(
      '{ incidents(first: 1000) { nodes { id board { name } monitors { displayName } } } }',
    );
    expect(data.incidents.nodes).toHaveLength(1000);
    const page = statements.filter((s) => /\bFROM\s+"?incident"?\b/i.test(s));
    expect(page).toHaveLength(1);
    expect(page[0]).toMatch(/\bJOIN\s+"?board"?\b/i);
    // The page, its monitors' links and those monitors: no board by id, nothing per row.
    expect(statements.filter((s) => /\bFROM\s+"?board"?/i.test(s))).toEqual([]);
    expect(statements).toHaveLength(3);
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
