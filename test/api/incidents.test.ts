import { AuditEvent } from '../../src/audit/audit-event.entity';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { TestApp } from '../helpers/test-app';

type Result = Awaited<ReturnType<TestApp['execute']>>;
type Vars = Record<string, unknown>;

interface UpdateData {
  id: string;
  phase: string;
  message: string;
  createdAt: string;
}

interface IncidentData {
  id: string;
  name: string;
  details: string | null;
  severity: string;
  phase: string;
  startedAt: string;
  resolvedAt: string | null;
  willStartAt: string | null;
  willEndAt: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  board: { id: string };
  monitors: { id: string; displayName: string }[];
  updates: UpdateData[];
}

const INCIDENT_FIELDS = `id name details severity phase startedAt resolvedAt willStartAt willEndAt
  createdAt updatedAt deletedAt board { id } monitors { id displayName }
  updates { id phase message createdAt }`;

const CREATE_INCIDENT = `mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { ${INCIDENT_FIELDS} }
}`;
const UPDATE_INCIDENT = `mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { ${INCIDENT_FIELDS} }
}`;
const ADD_UPDATE = `mutation($id: ID!, $input: IncidentUpdateInput!) {
  addIncidentUpdate(incidentId: $id, input: $input) { ${INCIDENT_FIELDS} }
}`;
const RESOLVE = `mutation($id: ID!, $message: String) {
  resolveIncident(id: $id, message: $message) { ${INCIDENT_FIELDS} }
}`;
const DELETE_INCIDENT = 'mutation($id: ID!) { deleteIncident(id: $id) }';
const GET_INCIDENT = `query($id: ID!) { incident(id: $id) { ${INCIDENT_FIELDS} } }`;

async function createBoard(app: TestApp, secret = app.identities.full.secret): Promise<string> {
  const result = await app.data<{ createBoard: { id: string } }>(
    'mutation { createBoard(input: { name: "Production" }) { id } }',
    undefined,
    secret,
  );
  return result.createBoard.id;
}

async function createMonitor(
  app: TestApp,
  boardId: string,
  displayName: string,
  secret = app.identities.full.secret,
): Promise<string> {
  const result = await app.data<{ createMonitor: { id: string } }>(
    `mutation($boardId: ID!, $name: String!) {
      createMonitor(input: { boardId: $boardId, displayName: $name, monitorType: CUSTOM }) { id }
    }`,
    { boardId, name: displayName },
    secret,
  );
  return result.createMonitor.id;
}

async function createIncident(app: TestApp, input: Vars): Promise<IncidentData> {
  const result = await app.data<{ createIncident: IncidentData }>(CREATE_INCIDENT, {
    input: { name: 'Checkout errors', severity: 'MAJOR', ...input },
  });
  return result.createIncident;
}

async function getIncident(app: TestApp, id: string): Promise<IncidentData | null> {
  const result = await app.data<{ incident: IncidentData | null }>(GET_INCIDENT, { id });
  return result.incident;
}

function expectInputError(result: Result, field: string, rule: RegExp): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors ?? [];
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error.extensions?.field).toBe(field);
  expect(error.message).toContain(field);
  expect(error.message).toMatch(rule);
}

function expectNotFound(result: Result): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
}

const later = (a: string | null, b: string | null) =>
  expect(Date.parse(a ?? '')).toBeGreaterThan(Date.parse(b ?? ''));

interface ValidationCase {
  name: string;
  input: Vars;
  field: string;
  rule: RegExp;
}

const CREATE_CASES: ValidationCase[] = [
  { name: 'an empty name', input: { name: '' }, field: 'name', rule: /1–100 characters/ },
  { name: 'a name of spaces', input: { name: '   ' }, field: 'name', rule: /1–100 characters/ },
  {
    name: 'a 101-character name',
    input: { name: 'n'.repeat(101) },
    field: 'name',
    rule: /1–100 characters/,
  },
  {
    name: 'details over 10,000 characters',
    input: { details: 'd'.repeat(10_001) },
    field: 'details',
    rule: /at most 10,000 characters/,
  },
  {
    name: 'MAJOR with phase SCHEDULED',
    input: { severity: 'MAJOR', phase: 'SCHEDULED' },
    field: 'phase',
    rule: /INVESTIGATING, IDENTIFIED, MONITORING or RESOLVED/,
  },
  {
    name: 'MINOR with phase COMPLETED',
    input: { severity: 'MINOR', phase: 'COMPLETED' },
    field: 'phase',
    rule: /INVESTIGATING, IDENTIFIED, MONITORING or RESOLVED/,
  },
  {
    name: 'MAINTENANCE with phase INVESTIGATING',
    input: { severity: 'MAINTENANCE', phase: 'INVESTIGATING' },
    field: 'phase',
    rule: /SCHEDULED, IN_PROGRESS, VERIFYING or COMPLETED/,
  },
  {
    name: 'MAINTENANCE with phase RESOLVED',
    input: { severity: 'MAINTENANCE', phase: 'RESOLVED' },
    field: 'phase',
    rule: /SCHEDULED, IN_PROGRESS, VERIFYING or COMPLETED/,
  },
  {
    name: 'willEndAt before willStartAt',
    input: {
      severity: 'MAINTENANCE',
      willStartAt: '2030-01-01T10:00:00.000Z',
      willEndAt: '2030-01-01T09:00:00.000Z',
    },
    field: 'willEndAt',
    rule: /after willStartAt/,
  },
  {
    name: 'willEndAt equal to willStartAt',
    input: {
      severity: 'MAINTENANCE',
      willStartAt: '2030-01-01T10:00:00.000Z',
      willEndAt: '2030-01-01T10:00:00.000Z',
    },
    field: 'willEndAt',
    rule: /after willStartAt/,
  },
];

describe('incidents', () => {
  let app: TestApp;
  let boardId: string;

  beforeEach(async () => {
    app = await TestApp.start();
    boardId = await createBoard(app);
  });
  afterEach(() => app.close());

  /** Every incident row with its updates and affected monitors, to prove that nothing changed. */
  async function incidentRows() {
    const { reader } = app.services.db;
    return {
      incidents: await reader.find(Incident, { order: { id: 'ASC' } }),
      updates: await reader.find(IncidentUpdate, { order: { id: 'ASC' } }),
      links: await reader.find(IncidentMonitor, { order: { incidentId: 'ASC', monitorId: 'ASC' } }),
    };
  }

  describe('createIncident', () => {
    it.each(CREATE_CASES)('refuses $name and creates nothing', async ({ input, field, rule }) => {
      const result = await app.execute(app.identities.full.secret, CREATE_INCIDENT, {
        input: { boardId, name: 'Checkout errors', severity: 'MAJOR', ...input },
      });
      expectInputError(result, field, rule);
      expect(await incidentRows()).toEqual({ incidents: [], updates: [], links: [] });
    });

    it('gives NOT_FOUND for an unknown monitor id or one of another organization, and creates nothing', async () => {
      const own = await createMonitor(app, boardId, 'Own');
      const other = await app.otherOrganization();
      const theirBoard = await createBoard(app, other.identity.secret);
      const theirs = await createMonitor(app, theirBoard, 'Theirs', other.identity.secret);
      for (const monitorIds of [
        ['no-such-monitor'],
        [own, 'no-such-monitor'],
        [theirs],
        [own, theirs],
      ]) {
        const result = await app.execute(app.identities.full.secret, CREATE_INCIDENT, {
          input: { boardId, name: 'Outage', severity: 'MINOR', monitorIds },
        });
        expectNotFound(result);
        expect(result.errors?.[0].message).toMatch(/Monitor/);
      }
      expect(await incidentRows()).toEqual({ incidents: [], updates: [], links: [] });
    });

    it('defaults: phase INVESTIGATING, startedAt now, not resolved, no updates', async () => {
      const before = Date.now();
      const created = await createIncident(app, { boardId, severity: 'MINOR' });
      const after = Date.now();
      expect(created).toMatchObject({
        name: 'Checkout errors',
        details: null,
        severity: 'MINOR',
        phase: 'INVESTIGATING',
        resolvedAt: null,
        willStartAt: null,
        willEndAt: null,
        deletedAt: null,
        board: { id: boardId },
        monitors: [],
        updates: [],
      });
      const startedAt = Date.parse(created.startedAt);
      expect(startedAt).toBeGreaterThanOrEqual(before);
      expect(startedAt).toBeLessThanOrEqual(after);
      expect(created.createdAt).toBe(created.updatedAt);
      expect(await getIncident(app, created.id)).toEqual(created);
    });

    it('defaults a MAINTENANCE to SCHEDULED and keeps its window to the millisecond', async () => {
      const created = await createIncident(app, {
        boardId,
        severity: 'MAINTENANCE',
        name: 'Database upgrade',
        details: 'Planned downtime.',
        startedAt: '2030-01-01T09:59:00.123Z',
        willStartAt: '2030-01-01T10:00:00.001Z',
        willEndAt: '2030-01-01T12:00:00.999Z',
      });
      expect(created).toMatchObject({
        phase: 'SCHEDULED',
        severity: 'MAINTENANCE',
        details: 'Planned downtime.',
        startedAt: '2030-01-01T09:59:00.123Z',
        willStartAt: '2030-01-01T10:00:00.001Z',
        willEndAt: '2030-01-01T12:00:00.999Z',
        resolvedAt: null,
      });
      expect(await getIncident(app, created.id)).toEqual(created);
    });

    it('lists its monitors as a plain list, by displayName, without duplicates', async () => {
      const zeta = await createMonitor(app, boardId, 'Zeta');
      const alpha = await createMonitor(app, boardId, 'Alpha');
      const created = await createIncident(app, { boardId, monitorIds: [zeta, alpha, zeta] });
      expect(created.monitors).toEqual([
        { id: alpha, displayName: 'Alpha' },
        { id: zeta, displayName: 'Zeta' },
      ]);
      expect((await getIncident(app, created.id))?.monitors).toEqual(created.monitors);
      const byMonitor = await app.data<{ incidents: { nodes: { id: string }[] } }>(
        'query($id: ID!) { incidents(filter: { monitorId: $id }) { nodes { id } } }',
        { id: alpha },
      );
      expect(byMonitor.incidents.nodes).toEqual([{ id: created.id }]);
    });
  });

  describe('updateIncident', () => {
    it('changes the given fields, replaces monitorIds, clears details with null, and moves updatedAt', async () => {
      const a = await createMonitor(app, boardId, 'A');
      const b = await createMonitor(app, boardId, 'B');
      const c = await createMonitor(app, boardId, 'C');
      const created = await createIncident(app, {
        boardId,
        severity: 'MINOR',
        details: 'Some errors.',
        monitorIds: [a, b],
      });

      const renamed = await app.data<{ updateIncident: IncidentData }>(UPDATE_INCIDENT, {
        id: created.id,
        input: { name: 'Checkout down', severity: 'MAJOR', phase: 'IDENTIFIED', monitorIds: [c] },
      });
      expect(renamed.updateIncident).toMatchObject({
        name: 'Checkout down',
        severity: 'MAJOR',
        phase: 'IDENTIFIED',
        details: 'Some errors.',
        startedAt: created.startedAt,
        monitors: [{ id: c, displayName: 'C' }],
      });
      later(renamed.updateIncident.updatedAt, created.updatedAt);

      const cleared = await app.data<{ updateIncident: IncidentData }>(UPDATE_INCIDENT, {
        id: created.id,
        input: { details: null },
      });
      expect(cleared.updateIncident.details).toBeNull();
      expect(cleared.updateIncident.name).toBe('Checkout down');
      expect(cleared.updateIncident.monitors).toEqual([{ id: c, displayName: 'C' }]);
      later(cleared.updateIncident.updatedAt, renamed.updateIncident.updatedAt);

      const none = await app.data<{ updateIncident: IncidentData }>(UPDATE_INCIDENT, {
        id: created.id,
        input: { monitorIds: [] },
      });
      expect(none.updateIncident.monitors).toEqual([]);
      expect(await getIncident(app, created.id)).toEqual(none.updateIncident);

      const byA = await app.data<{ incidents: { nodes: unknown[] } }>(
        'query($id: ID!) { incidents(filter: { monitorId: $id }) { nodes { id } } }',
        { id: a },
      );
      expect(byA.incidents.nodes).toEqual([]);
    });

    it('null clears the optional details, willStartAt and willEndAt; omitted fields stay', async () => {
      const created = await createIncident(app, {
        boardId,
        severity: 'MAINTENANCE',
        details: 'Planned.',
        willStartAt: '2030-01-01T10:00:00.000Z',
        willEndAt: '2030-01-01T11:00:00.000Z',
      });
      const cleared = await app.data<{ updateIncident: IncidentData }>(UPDATE_INCIDENT, {
        id: created.id,
        input: { details: null, willStartAt: null, willEndAt: null },
      });
      expect(cleared.updateIncident).toMatchObject({
        details: null,
        willStartAt: null,
        willEndAt: null,
        name: created.name,
        phase: 'SCHEDULED',
        startedAt: created.startedAt,
      });
      expect(await getIncident(app, created.id)).toEqual(cleared.updateIncident);
    });

    // UpdateIncidentInput's own description: "omitted fields stay as they are, null clears an
    // optional one"; monitorIds is optional, so null must clear the list, not be ignored.
    it('monitorIds: null clears the affected monitors', async () => {
      const monitor = await createMonitor(app, boardId, 'A');
      const created = await createIncident(app, { boardId, monitorIds: [monitor] });
      expect(created.monitors).toHaveLength(1);
      const result = await app.data<{ updateIncident: IncidentData }>(UPDATE_INCIDENT, {
        id: created.id,
        input: { monitorIds: null },
      });
      expect(result.updateIncident.monitors).toEqual([]);
      expect((await getIncident(app, created.id))?.monitors).toEqual([]);
    });

    it.each<[string, Vars, string, RegExp]>([
      ['an empty name', { name: '' }, 'name', /1–100 characters/],
      ['details over 10,000 characters', { details: 'd'.repeat(10_001) }, 'details', /10,000/],
      ['a phase that does not fit', { phase: 'SCHEDULED' }, 'phase', /INVESTIGATING/],
      ['a severity that does not fit the phase', { severity: 'MAINTENANCE' }, 'phase', /SCHEDULED/],
      [
        'willEndAt before willStartAt',
        { willStartAt: '2030-01-02T00:00:00.000Z', willEndAt: '2030-01-01T00:00:00.000Z' },
        'willEndAt',
        /after willStartAt/,
      ],
    ])('refuses %s and changes nothing', async (_name, input, field, rule) => {
      const monitor = await createMonitor(app, boardId, 'A');
      const created = await createIncident(app, { boardId, monitorIds: [monitor] });
      const before = await incidentRows();
      const result = await app.execute(app.identities.full.secret, UPDATE_INCIDENT, {
        id: created.id,
        input,
      });
      expectInputError(result, field, rule);
      expect(await incidentRows()).toEqual(before);
    });

    it('refuses unknown monitorIds with NOT_FOUND and keeps the old ones', async () => {
      const monitor = await createMonitor(app, boardId, 'A');
      const created = await createIncident(app, { boardId, monitorIds: [monitor] });
      const before = await incidentRows();
      const result = await app.execute(app.identities.full.secret, UPDATE_INCIDENT, {
        id: created.id,
        input: { name: 'Renamed', monitorIds: ['no-such-monitor'] },
      });
      expectNotFound(result);
      expect(await incidentRows()).toEqual(before);
    });
  });

  describe('addIncidentUpdate and resolveIncident', () => {
    it('appends updates oldest first, sets the phase and moves updatedAt', async () => {
      const created = await createIncident(app, { boardId });
      const first = await app.data<{ addIncidentUpdate: IncidentData }>(ADD_UPDATE, {
        id: created.id,
        input: { phase: 'IDENTIFIED', message: 'A bad deploy.' },
      });
      expect(first.addIncidentUpdate.phase).toBe('IDENTIFIED');
      later(first.addIncidentUpdate.updatedAt, created.updatedAt);
      const second = await app.data<{ addIncidentUpdate: IncidentData }>(ADD_UPDATE, {
        id: created.id,
        input: { phase: 'MONITORING', message: 'Rolled back.' },
      });
      expect(second.addIncidentUpdate.phase).toBe('MONITORING');
      later(second.addIncidentUpdate.updatedAt, first.addIncidentUpdate.updatedAt);
      expect(second.addIncidentUpdate.resolvedAt).toBeNull();

      const read = await getIncident(app, created.id);
      expect(read?.updates.map(({ phase, message }) => ({ phase, message }))).toEqual([
        { phase: 'IDENTIFIED', message: 'A bad deploy.' },
        { phase: 'MONITORING', message: 'Rolled back.' },
      ]);
      expect(read?.updates[1].createdAt).toBe(second.addIncidentUpdate.updatedAt);
      expect(read?.phase).toBe('MONITORING');
    });

    it.each<[string, Vars, string, RegExp]>([
      ['an empty message', { phase: 'IDENTIFIED', message: '' }, 'message', /must not be empty/],
      ['a message of spaces', { phase: 'IDENTIFIED', message: '   ' }, 'message', /not be empty/],
      [
        'a message over 10,000 characters',
        { phase: 'IDENTIFIED', message: 'm'.repeat(10_001) },
        'message',
        /at most 10,000 characters/,
      ],
      [
        'a maintenance phase on an incident',
        { phase: 'IN_PROGRESS', message: 'Working on it.' },
        'phase',
        /INVESTIGATING, IDENTIFIED, MONITORING or RESOLVED/,
      ],
    ])('refuses %s and changes nothing', async (_name, input, field, rule) => {
      const created = await createIncident(app, { boardId });
      const before = await incidentRows();
      const result = await app.execute(app.identities.full.secret, ADD_UPDATE, {
        id: created.id,
        input,
      });
      expectInputError(result, field, rule);
      expect(await incidentRows()).toEqual(before);
    });

    it('accepts a message of exactly 10,000 characters', async () => {
      const created = await createIncident(app, { boardId });
      const result = await app.data<{ addIncidentUpdate: IncidentData }>(ADD_UPDATE, {
        id: created.id,
        input: { phase: 'IDENTIFIED', message: 'm'.repeat(10_000) },
      });
      expect(result.addIncidentUpdate.updates[0].message).toHaveLength(10_000);
    });

    it('RESOLVED through addIncidentUpdate sets resolvedAt; back to MONITORING clears it', async () => {
      const created = await createIncident(app, { boardId });
      const resolved = await app.data<{ addIncidentUpdate: IncidentData }>(ADD_UPDATE, {
        id: created.id,
        input: { phase: 'RESOLVED', message: 'Fixed.' },
      });
      expect(resolved.addIncidentUpdate.phase).toBe('RESOLVED');
      expect(resolved.addIncidentUpdate.resolvedAt).toBe(resolved.addIncidentUpdate.updatedAt);

      const reopened = await app.data<{ addIncidentUpdate: IncidentData }>(ADD_UPDATE, {
        id: created.id,
        input: { phase: 'MONITORING', message: 'Errors are back.' },
      });
      expect(reopened.addIncidentUpdate.phase).toBe('MONITORING');
      expect(reopened.addIncidentUpdate.resolvedAt).toBeNull();
      expect((await getIncident(app, created.id))?.resolvedAt).toBeNull();
    });

    it('resolveIncident sets RESOLVED and resolvedAt and adds an update with the message', async () => {
      const created = await createIncident(app, { boardId });
      const result = await app.data<{ resolveIncident: IncidentData }>(RESOLVE, {
        id: created.id,
        message: 'All clear.',
      });
      const resolved = result.resolveIncident;
      expect(resolved.phase).toBe('RESOLVED');
      expect(resolved.resolvedAt).not.toBeNull();
      expect(resolved.resolvedAt).toBe(resolved.updatedAt);
      later(resolved.updatedAt, created.updatedAt);
      expect(resolved.updates.map(({ phase, message }) => ({ phase, message }))).toEqual([
        { phase: 'RESOLVED', message: 'All clear.' },
      ]);
      expect(await getIncident(app, created.id)).toEqual(resolved);
    });

    it.each([
      ['MINOR', 'RESOLVED'],
      ['MAJOR', 'RESOLVED'],
      ['MAINTENANCE', 'COMPLETED'],
    ])(
      'resolveIncident of a %s without a message closes it as %s with a default message',
      async (severity, phase) => {
        const created = await createIncident(app, { boardId, severity });
        const result = await app.data<{ resolveIncident: IncidentData }>(RESOLVE, {
          id: created.id,
        });
        expect(result.resolveIncident.phase).toBe(phase);
        expect(result.resolveIncident.resolvedAt).not.toBeNull();
        expect(result.resolveIncident.updates).toHaveLength(1);
        expect(result.resolveIncident.updates[0].phase).toBe(phase);
        expect(result.resolveIncident.updates[0].message).toMatch(/\S/);
      },
    );

    it('resolving twice is BAD_USER_INPUT and changes nothing; after a reopen it works again', async () => {
      const created = await createIncident(app, { boardId });
      await app.data(RESOLVE, { id: created.id, message: 'Done.' });
      const before = await incidentRows();
      const again = await app.execute(app.identities.full.secret, RESOLVE, {
        id: created.id,
        message: 'Done again.',
      });
      expect(again.data ?? null).toBeNull();
      expect(again.errors).toHaveLength(1);
      expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(again.errors?.[0].message).toMatch(/already resolved/);
      expect(await incidentRows()).toEqual(before);

      await app.data(ADD_UPDATE, {
        id: created.id,
        input: { phase: 'INVESTIGATING', message: 'Reopened.' },
      });
      const third = await app.data<{ resolveIncident: IncidentData }>(RESOLVE, {
        id: created.id,
      });
      expect(third.resolveIncident.phase).toBe('RESOLVED');
      expect(third.resolveIncident.updates.map((u) => u.phase)).toEqual([
        'RESOLVED',
        'INVESTIGATING',
        'RESOLVED',
      ]);
    });

    it('resolveIncident refuses a message over 10,000 characters', async () => {
      const created = await createIncident(app, { boardId });
      const before = await incidentRows();
      const result = await app.execute(app.identities.full.secret, RESOLVE, {
        id: created.id,
        message: 'm'.repeat(10_001),
      });
      expectInputError(result, 'message', /at most 10,000 characters/);
      expect(await incidentRows()).toEqual(before);
    });
  });

  describe('deleteIncident', () => {
    it('leaves a tombstone: null by id, hidden from lists unless includeDeleted, NOT_FOUND for every mutation', async () => {
      const monitor = await createMonitor(app, boardId, 'A');
      const kept = await createIncident(app, { boardId, name: 'Kept' });
      const created = await createIncident(app, { boardId, name: 'Doomed', monitorIds: [monitor] });

      const deleted = await app.data<{ deleteIncident: string }>(DELETE_INCIDENT, {
        id: created.id,
      });
      expect(deleted.deleteIncident).toBe(created.id);
      expect(await getIncident(app, created.id)).toBeNull();

      type List = {
        incidents: { nodes: { id: string; deletedAt: string | null; updatedAt: string }[] };
      };
      const LIST = `query($filter: IncidentFilter) {
        incidents(filter: $filter, orderBy: STARTED_AT_ASC) { nodes { id deletedAt updatedAt } }
      }`;
      const live = await app.data<List>(LIST);
      expect(live.incidents.nodes.map((n) => n.id)).toEqual([kept.id]);
      for (const filter of [{ boardId }, { monitorId: monitor }, { severity: 'MAJOR' }]) {
        const filtered = await app.data<List>(LIST, { filter });
        expect(filtered.incidents.nodes.map((n) => n.id)).not.toContain(created.id);
      }
      const board = await app.data<{ board: { incidents: { nodes: { id: string }[] } } }>(
        'query($id: ID!) { board(id: $id) { incidents { nodes { id } } } }',
        { id: boardId },
      );
      expect(board.board.incidents.nodes).toEqual([{ id: kept.id }]);

      const all = await app.data<List>(LIST, { filter: { includeDeleted: true } });
      expect(all.incidents.nodes.map((n) => n.id)).toEqual([kept.id, created.id]);
      const tombstone = all.incidents.nodes[1];
      expect(tombstone.deletedAt).not.toBeNull();
      expect(tombstone.deletedAt).toBe(tombstone.updatedAt);
      later(tombstone.updatedAt, created.updatedAt);
      expect(all.incidents.nodes[0].deletedAt).toBeNull();

      const before = await incidentRows();
      const mutations: [string, Vars][] = [
        [UPDATE_INCIDENT, { id: created.id, input: { name: 'Back' } }],
        [ADD_UPDATE, { id: created.id, input: { phase: 'IDENTIFIED', message: 'Hello?' } }],
        [RESOLVE, { id: created.id, message: 'Done.' }],
        [DELETE_INCIDENT, { id: created.id }],
      ];
      for (const [mutation, variables] of mutations) {
        expectNotFound(await app.execute(app.identities.full.secret, mutation, variables));
      }
      expect(await incidentRows()).toEqual(before);

      const events = await app.services.db.reader.find(AuditEvent, {
        where: { targetId: created.id },
      });
      const summary = events
        .map((e) => `${e.action} ${e.outcome} ${e.targetType}`)
        .sort((x, y) => x.localeCompare(y));
      expect(summary).toEqual(
        [
          'addIncidentUpdate FAILED Incident',
          'createIncident SUCCEEDED Incident',
          'deleteIncident FAILED Incident',
          'deleteIncident SUCCEEDED Incident',
          'resolveIncident FAILED Incident',
          'updateIncident FAILED Incident',
        ].sort((x, y) => x.localeCompare(y)),
      );
    });
  });

  describe('audit log', () => {
    it('records every monitor and incident mutation as SUCCEEDED with its target', async () => {
      const run = (query: string, variables?: Vars) =>
        app.data<Record<string, unknown>>(query, variables);
      const monitorId = await createMonitor(app, boardId, 'Audited');
      await run(
        'mutation($id: ID!) { updateMonitor(id: $id, input: { displayName: "Renamed" }) { id } }',
        { id: monitorId },
      );
      await run('mutation($id: ID!) { pauseMonitor(id: $id) { id } }', { id: monitorId });
      await run('mutation($id: ID!) { resumeMonitor(id: $id) { id } }', { id: monitorId });
      await run('mutation($id: ID!) { setMonitorStatus(id: $id, status: DOWN) { id } }', {
        id: monitorId,
      });
      const incident = await createIncident(app, { boardId, monitorIds: [monitorId] });
      await run(UPDATE_INCIDENT, { id: incident.id, input: { name: 'Renamed' } });
      await run(ADD_UPDATE, {
        id: incident.id,
        input: { phase: 'IDENTIFIED', message: 'Found it.' },
      });
      await run(RESOLVE, { id: incident.id });
      await run(DELETE_INCIDENT, { id: incident.id });
      await run('mutation($id: ID!) { deleteMonitor(id: $id) }', { id: monitorId });

      type Events = {
        auditEvents: {
          nodes: {
            action: string;
            outcome: string;
            targetType: string | null;
            targetId: string | null;
            token: { id: string } | null;
          }[];
        };
      };
      const result = await app.data<Events>(
        '{ auditEvents(first: 100) { nodes { action outcome targetType targetId token { id } } } }',
      );
      // The organization's set-up (no token) and the board fixture are not part of this test.
      const events = result.auditEvents.nodes.filter(
        (e) => e.token !== null && e.action !== 'createBoard',
      );
      const expected = [
        ...[
          'createMonitor',
          'updateMonitor',
          'pauseMonitor',
          'resumeMonitor',
          'setMonitorStatus',
          'deleteMonitor',
        ].map((action) => ({ action, targetType: 'Monitor', targetId: monitorId })),
        ...[
          'createIncident',
          'updateIncident',
          'addIncidentUpdate',
          'resolveIncident',
          'deleteIncident',
        ].map((action) => ({ action, targetType: 'Incident', targetId: incident.id })),
      ].map((e) => ({ ...e, outcome: 'SUCCEEDED', token: { id: app.identities.full.token.id } }));
      const byAction = (a: { action: string }, b: { action: string }) =>
        a.action.localeCompare(b.action);
      expect([...events].sort(byAction)).toEqual([...expected].sort(byAction));
    });
  });
});
