import { randomUUID } from 'node:crypto';
import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { seedBoard } from '../helpers/scope-fixture';
import { TestApp } from '../helpers/test-app';

type Result = Awaited<ReturnType<TestApp['execute']>>;
type Vars = Record<string, unknown>;

const DATABASE_WORDS = /SQLITE|QueryFailed|SELECT|INSERT|UPDATE |syntax|constraint|typeorm/i;

/** The objects of one organization that the tests aim at. */
interface OrgData {
  secret: string;
  boardId: string;
  websiteId: string;
  customId: string;
  incidentId: string;
  deletedIncidentId: string;
}

const MONITOR_MUTATIONS: Record<string, string> = {
  updateMonitor:
    'mutation($id: ID!) { updateMonitor(id: $id, input: { displayName: "taken over" }) { id } }',
  pauseMonitor: 'mutation($id: ID!) { pauseMonitor(id: $id) { id } }',
  resumeMonitor: 'mutation($id: ID!) { resumeMonitor(id: $id) { id } }',
  setMonitorStatus:
    'mutation($id: ID!) { setMonitorStatus(id: $id, status: MAINTENANCE, message: "taken over") { id } }',
  deleteMonitor: 'mutation($id: ID!) { deleteMonitor(id: $id) }',
};

const INCIDENT_MUTATIONS: Record<string, string> = {
  updateIncident:
    'mutation($id: ID!) { updateIncident(id: $id, input: { name: "taken over" }) { id } }',
  addIncidentUpdate:
    'mutation($id: ID!) { addIncidentUpdate(incidentId: $id, input: { phase: IDENTIFIED, message: "taken over" }) { id } }',
  resolveIncident: 'mutation($id: ID!) { resolveIncident(id: $id, message: "taken over") { id } }',
  deleteIncident: 'mutation($id: ID!) { deleteIncident(id: $id) }',
};

interface ReferenceMutation {
  /** Which of the other organization's objects the mutation refers to. */
  refersTo: 'boardId' | 'customId';
  build: (own: OrgData, ref: string) => [string, Vars];
}

/**
 * Mutations on the caller's own objects (or new ones) that refer to another object by id: a board
 * to create in or move to, or monitors an incident affects. `ref` is the id referred to.
 */
const REFERENCE_MUTATIONS: Record<string, ReferenceMutation> = {
  'createMonitor with its boardId': {
    refersTo: 'boardId',
    build: (_own, ref) => [
      'mutation($input: CreateMonitorInput!) { createMonitor(input: $input) { id } }',
      { input: { boardId: ref, displayName: 'Sneaky', monitorType: 'CUSTOM' } },
    ],
  },
  'createIncident with its boardId': {
    refersTo: 'boardId',
    build: (_own, ref) => [
      'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }',
      { input: { boardId: ref, name: 'Sneaky', severity: 'MINOR' } },
    ],
  },
  'createIncident with it in monitorIds': {
    refersTo: 'customId',
    build: (own, ref) => [
      'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }',
      { input: { boardId: own.boardId, name: 'Sneaky', severity: 'MINOR', monitorIds: [ref] } },
    ],
  },
  'updateMonitor moving to its boardId': {
    refersTo: 'boardId',
    build: (own, ref) => [
      'mutation($id: ID!, $ref: ID!) { updateMonitor(id: $id, input: { boardId: $ref }) { id } }',
      { id: own.customId, ref },
    ],
  },
  'updateIncident with it in monitorIds': {
    refersTo: 'customId',
    build: (own, ref) => [
      'mutation($id: ID!, $ref: ID!) { updateIncident(id: $id, input: { monitorIds: [$ref] }) { id } }',
      { id: own.incidentId, ref },
    ],
  },
};

/** A board with a WEBSITE and a CUSTOM monitor (with history), a live and a deleted incident. */
async function seed(app: TestApp, secret: string, name: string): Promise<OrgData> {
  return { secret, ...(await seedBoard(app, name, [], secret)) };
}

/** A mutation on an unknown id: NOT_FOUND only, never an internal or database error. */
function expectNotFound(result: Result): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors ?? [];
  expect(error.extensions?.code).toBe('NOT_FOUND');
  expect(error.message).not.toMatch(DATABASE_WORDS);
  expect(error.message).not.toMatch(/forbidden|permission/i);
}

describe('tenant isolation of monitors, status events and incidents', () => {
  /** Every row of the status tables, and the first organization's audit events. */
  async function allRows(app: TestApp) {
    const { reader } = app.services.db;
    return {
      boards: await reader.find(Board, { order: { id: 'ASC' } }),
      monitors: await reader.find(Monitor, { order: { id: 'ASC' } }),
      events: await reader.find(StatusEvent, { order: { id: 'ASC' } }),
      incidents: await reader.find(Incident, { order: { id: 'ASC' } }),
      updates: await reader.find(IncidentUpdate, { order: { id: 'ASC' } }),
      links: await reader.find(IncidentMonitor, { order: { incidentId: 'ASC', monitorId: 'ASC' } }),
      audit: await reader.find(AuditEvent, {
        where: { organizationId: app.organization.id },
        order: { id: 'ASC' },
      }),
    };
  }

  describe('reads', () => {
    // These tests only read: one fixture for all of them.
    let app: TestApp;
    let ours: OrgData;
    let theirs: OrgData;

    beforeAll(async () => {
      app = await TestApp.start();
      ours = await seed(app, app.identities.full.secret, 'Ours');
      const other = await app.otherOrganization();
      theirs = await seed(app, other.identity.secret, 'Theirs');
    });
    afterAll(() => app.close());

    const ids = (nodes: { id: string }[]) => nodes.map((n) => n.id).sort();

    it('monitors: each organization sees only its own, whatever the filter', async () => {
      type Monitors = { monitors: { totalCount: number; nodes: { id: string }[] } };
      const query = `query($filter: MonitorFilter) {
        monitors(filter: $filter, first: 1000) { totalCount nodes { id } }
      }`;
      for (const [org, other] of [
        [ours, theirs],
        [theirs, ours],
      ]) {
        const all = await app.data<Monitors>(query, undefined, org.secret);
        expect(ids(all.monitors.nodes)).toEqual([org.websiteId, org.customId].sort());
        expect(all.monitors.totalCount).toBe(2);
        for (const filter of [
          { monitorType: 'CUSTOM' },
          { status: 'DOWN' },
          { status: 'UNKNOWN' },
        ]) {
          const filtered = await app.data<Monitors>(query, { filter }, org.secret);
          expect(filtered.monitors.nodes).toHaveLength(1);
          expect([org.websiteId, org.customId]).toContain(filtered.monitors.nodes[0].id);
        }
        const viaOtherBoard = await app.data<Monitors>(
          query,
          {
            filter: { boardId: other.boardId },
          },
          org.secret,
        );
        expect(viaOtherBoard.monitors).toEqual({ totalCount: 0, nodes: [] });
      }
    });

    it('statusEvents: each organization sees only its own, also filtered by the other’s monitor', async () => {
      type Events = {
        statusEvents: { totalCount: number; nodes: { id: string; monitor: { id: string } }[] };
      };
      const query = `query($filter: StatusEventFilter) {
        statusEvents(filter: $filter, first: 1000) { totalCount nodes { id monitor { id } } }
      }`;
      for (const [org, other] of [
        [ours, theirs],
        [theirs, ours],
      ]) {
        const all = await app.data<Events>(query, undefined, org.secret);
        expect(all.statusEvents.totalCount).toBe(2);
        expect(all.statusEvents.nodes.map((e) => e.monitor.id)).toEqual([
          org.customId,
          org.customId,
        ]);
        for (const filter of [{ monitorId: other.customId }, { monitorId: other.websiteId }]) {
          const filtered = await app.data<Events>(query, { filter }, org.secret);
          expect(filtered.statusEvents).toEqual({ totalCount: 0, nodes: [] });
        }
      }
    });

    it('incidents: each organization sees only its own, with includeDeleted and any board or monitor filter', async () => {
      type Incidents = { incidents: { totalCount: number; nodes: { id: string }[] } };
      const query = `query($filter: IncidentFilter, $orderBy: IncidentOrder) {
        incidents(filter: $filter, orderBy: $orderBy, first: 1000) { totalCount nodes { id } }
      }`;
      for (const [org, other] of [
        [ours, theirs],
        [theirs, ours],
      ]) {
        for (const orderBy of ['STARTED_AT_DESC', 'STARTED_AT_ASC', 'UPDATED_AT_ASC']) {
          const live = await app.data<Incidents>(query, { orderBy }, org.secret);
          expect(ids(live.incidents.nodes)).toEqual([org.incidentId]);
          const all = await app.data<Incidents>(
            query,
            {
              orderBy,
              filter: { includeDeleted: true },
            },
            org.secret,
          );
          expect(ids(all.incidents.nodes)).toEqual([org.incidentId, org.deletedIncidentId].sort());
          expect(all.incidents.totalCount).toBe(2);
        }
        for (const filter of [
          { boardId: other.boardId },
          { boardId: other.boardId, includeDeleted: true },
          { monitorId: other.customId, includeDeleted: true },
          { monitorId: other.websiteId },
        ]) {
          const filtered = await app.data<Incidents>(query, { filter }, org.secret);
          expect(filtered.incidents).toEqual({ totalCount: 0, nodes: [] });
        }
        const own = await app.data<Incidents>(
          query,
          {
            filter: { monitorId: org.customId, includeDeleted: true },
          },
          org.secret,
        );
        expect(ids(own.incidents.nodes)).toEqual([org.incidentId, org.deletedIncidentId].sort());
      }
    });

    it('monitor(id) and incident(id) with the other organization’s ids return null', async () => {
      for (const [org, other] of [
        [ours, theirs],
        [theirs, ours],
      ]) {
        for (const id of [other.websiteId, other.customId]) {
          const result = await app.execute(
            org.secret,
            'query($id: ID!) { monitor(id: $id) { id displayName requestHeaders { value } } }',
            { id },
          );
          expect(result.errors).toBeUndefined();
          expect(result.data).toEqual({ monitor: null });
        }
        for (const id of [other.incidentId, other.deletedIncidentId]) {
          const result = await app.execute(
            org.secret,
            'query($id: ID!) { incident(id: $id) { id name } }',
            { id },
          );
          expect(result.errors).toBeUndefined();
          expect(result.data).toEqual({ incident: null });
        }
        // The owner does see them: the nulls above are tenancy, not a broken query.
        const own = await app.data<{ monitor: { id: string }; incident: { id: string } }>(
          'query($m: ID!, $i: ID!) { monitor(id: $m) { id } incident(id: $i) { id } }',
          { m: org.customId, i: org.incidentId },
          org.secret,
        );
        expect(own).toEqual({ monitor: { id: org.customId }, incident: { id: org.incidentId } });
      }
    });

    it('nested lists stay within the organization', async () => {
      const result = await app.data<{
        board: {
          monitors: { nodes: { id: string }[] };
          incidents: { nodes: { id: string; monitors: { id: string }[] }[] };
        };
      }>(
        `query($id: ID!) { board(id: $id) {
          monitors { nodes { id } }
          incidents(filter: { includeDeleted: true }) { nodes { id monitors { id } } }
        } }`,
        { id: theirs.boardId },
        theirs.secret,
      );
      expect(ids(result.board.monitors.nodes)).toEqual([theirs.websiteId, theirs.customId].sort());
      expect(ids(result.board.incidents.nodes)).toEqual(
        [theirs.incidentId, theirs.deletedIncidentId].sort(),
      );
      for (const incident of result.board.incidents.nodes) {
        expect(ids(incident.monitors)).toEqual([theirs.websiteId, theirs.customId].sort());
      }
    });
  });

  describe('mutations on the other organization’s ids', () => {
    let app: TestApp;
    let ours: OrgData;
    let theirs: OrgData;

    beforeEach(async () => {
      app = await TestApp.start();
      ours = await seed(app, app.identities.full.secret, 'Ours');
      const other = await app.otherOrganization();
      theirs = await seed(app, other.identity.secret, 'Theirs');
    });
    afterEach(() => app.close());

    const targets: [string, string, (org: OrgData) => string[]][] = [
      ...Object.entries(MONITOR_MUTATIONS).map(
        ([name, query]): [string, string, (org: OrgData) => string[]] => [
          name,
          query,
          (org) => [org.websiteId, org.customId],
        ],
      ),
      ...Object.entries(INCIDENT_MUTATIONS).map(
        ([name, query]): [string, string, (org: OrgData) => string[]] => [
          name,
          query,
          (org) => [org.incidentId, org.deletedIncidentId],
        ],
      ),
    ];

    it.each(targets)(
      '%s gives NOT_FOUND, exactly as for an unknown id, and changes nothing',
      async (_name, query, idsOf) => {
        const unknown = await app.execute(theirs.secret, query, { id: randomUUID() });
        expectNotFound(unknown);
        const before = await allRows(app);
        for (const id of idsOf(ours)) {
          const result = await app.execute(theirs.secret, query, { id });
          expectNotFound(result);
          expect(result.errors?.[0].message).toBe(unknown.errors?.[0].message);
          expect(result.errors?.[0].extensions).toEqual(unknown.errors?.[0].extensions);
        }
        expect(await allRows(app)).toEqual(before);
      },
    );

    it.each(Object.keys(REFERENCE_MUTATIONS))(
      '%s of the other organization gives NOT_FOUND and changes nothing',
      async (name) => {
        const before = await allRows(app);
        const { refersTo, build } = REFERENCE_MUTATIONS[name];
        const [query, variables] = build(theirs, ours[refersTo]);
        expectNotFound(await app.execute(theirs.secret, query, variables));
        expect(await allRows(app)).toEqual(before);
        // The same mutation with the caller's own id works: the refusal is tenancy.
        const [ownQuery, ownVariables] = build(theirs, theirs[refersTo]);
        const own = await app.execute(theirs.secret, ownQuery, ownVariables);
        expect(own.errors).toBeUndefined();
      },
    );
  });

  describe('any string as an id', () => {
    const STRINGS: [string, string][] = [
      ['the empty string', ''],
      ['a space', ' '],
      ['SQL injection', "' OR 1=1 --"],
      ['SQL injection with quotes', '" OR ""="'],
      ['a 10,000-character string', 'x'.repeat(10_000)],
      ['unicode', 'ünïcødé 漢字 🚀 \u202e'],
      ['an unknown UUID', randomUUID()],
      ['a LIKE wildcard', '%'],
      ['an underscore', '_'],
      ['a NUL character', '\u0000'],
      ['a backslash', '\\'],
      ['a number-like string', '1'],
    ];

    describe('queries', () => {
      let app: TestApp;
      let ours: OrgData;

      beforeAll(async () => {
        app = await TestApp.start();
        ours = await seed(app, app.identities.full.secret, 'Ours');
      });
      afterAll(() => app.close());

      it.each(STRINGS)('%s: monitor(id) and incident(id) return null', async (_name, id) => {
        const result = await app.execute(
          app.identities.readOnly.secret,
          'query($id: ID!) { monitor(id: $id) { id } incident(id: $id) { id } }',
          { id },
        );
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual({ monitor: null, incident: null });
      });

      it.each(STRINGS)('%s as a filter id gives empty lists, not errors', async (_name, id) => {
        const result = await app.execute<{
          byBoard: { nodes: unknown[] };
          events: { nodes: unknown[] };
          incidentsByBoard: { nodes: unknown[] };
          incidentsByMonitor: { nodes: unknown[] };
          boardMonitors: { monitors: { nodes: unknown[] }; incidents: { nodes: unknown[] } };
        }>(
          app.identities.readOnly.secret,
          `query($id: ID!, $board: ID!) {
            byBoard: monitors(filter: { boardId: $id }) { nodes { id } }
            events: statusEvents(filter: { monitorId: $id }) { nodes { id } }
            incidentsByBoard: incidents(filter: { boardId: $id, includeDeleted: true }) { nodes { id } }
            incidentsByMonitor: incidents(filter: { monitorId: $id, includeDeleted: true }) { nodes { id } }
            boardMonitors: board(id: $board) {
              monitors(filter: { boardId: $id }) { nodes { id } }
              incidents(filter: { monitorId: $id }) { nodes { id } }
            }
          }`,
          { id, board: ours.boardId },
        );
        expect(result.errors).toBeUndefined();
        expect(result.data?.byBoard.nodes).toEqual([]);
        expect(result.data?.events.nodes).toEqual([]);
        expect(result.data?.incidentsByBoard.nodes).toEqual([]);
        expect(result.data?.incidentsByMonitor.nodes).toEqual([]);
        // Board.monitors is always the board's own: a filter boardId cannot widen or change it.
        expect(result.data?.boardMonitors.monitors.nodes).toHaveLength(2);
        expect(result.data?.boardMonitors.incidents.nodes).toEqual([]);
      });
    });

    describe('mutations', () => {
      let app: TestApp;
      let ours: OrgData;

      beforeEach(async () => {
        app = await TestApp.start();
        ours = await seed(app, app.identities.full.secret, 'Ours');
      });
      afterEach(() => app.close());

      it.each(STRINGS)(
        '%s: every mutation by id, and every reference to it, gives NOT_FOUND and changes nothing',
        async (_name, id) => {
          const secret = app.identities.full.secret;
          const before = await allRows(app);
          for (const query of [
            ...Object.values(MONITOR_MUTATIONS),
            ...Object.values(INCIDENT_MUTATIONS),
          ]) {
            const result = await app.execute(secret, query, { id });
            expectNotFound(result);
          }
          for (const reference of Object.values(REFERENCE_MUTATIONS)) {
            const [query, variables] = reference.build(ours, id);
            expectNotFound(await app.execute(secret, query, variables));
          }
          const after = await allRows(app);
          expect({ ...after, audit: undefined }).toEqual({ ...before, audit: undefined });
          // Each attempt is audited as FAILED, and nothing else was written.
          const newEvents = after.audit.filter((e) => !before.audit.some((b) => b.id === e.id));
          expect(newEvents).toHaveLength(
            Object.keys(MONITOR_MUTATIONS).length +
              Object.keys(INCIDENT_MUTATIONS).length +
              Object.keys(REFERENCE_MUTATIONS).length,
          );
          expect(newEvents.every((e) => e.outcome === AuditOutcome.FAILED)).toBe(true);
        },
      );
    });
  });
});
