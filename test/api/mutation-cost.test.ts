import { HeaderMap } from '@apollo/server';
import type { CostReport } from '../../src/limits/cost-budget';
import { IncidentSeverity } from '../../src/incidents/incident-enums';
import { MonitorType } from '../../src/monitors/monitor-enums';
import { TokenPermission } from '../../src/tokens/token-permission';
import { insertStatusFixture } from '../helpers/status-fixture';
import { SCHEMA } from '../helpers/sync-schema';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9 for every mutation of the schema: `requestedQueryCost` ≥ `actualQueryCost`,
 * with a typical selection, on fresh objects, with and without an Idempotency-Key (whose
 * statement runs in the change's transaction). The list of mutations comes from the schema: a
 * mutation without an entry here fails the first test. Run on PostgreSQL with
 * STATUSGRAPH_TEST_DB=postgres.
 */

const INCIDENT =
  '{ id name phase severity board { id name } monitors { id displayName } updates { id message } }';
const MONITOR = '{ id displayName status paused board { id name } requestHeaders { name value } }';
const TOKEN = '{ id name permission status active expiresAt boards { id name } }';
const BOARD =
  '{ id name monitors(first: 10) { totalCount nodes { id } } incidents(first: 10) { nodes { id } } }';

type Ids = Record<
  'board' | 'otherBoard' | 'monitor' | 'otherMonitor' | 'incident' | 'token' | 'boardToDelete',
  string
>;
type Case = (ids: Ids) => { query: string; variables?: Record<string, unknown> };

/** One typical request per mutation, on objects made for it. */
const CATALOGUE: Record<string, Case> = {
  createApiToken: (ids) => ({
    query: `mutation($boards: [ID!]) { createApiToken(input: { name: "ci", permission: READ_ONLY, boardIds: $boards }) { secret token ${TOKEN} } }`,
    variables: { boards: [ids.board, ids.otherBoard] },
  }),
  updateApiToken: (ids) => ({
    query: `mutation($id: ID!, $boards: [ID!]) { updateApiToken(id: $id, input: { name: "renamed", permission: READ_ONLY, boardIds: $boards }) ${TOKEN} }`,
    variables: { id: ids.token, boards: [ids.board, ids.otherBoard] },
  }),
  deactivateApiToken: (ids) => ({
    query: `mutation($id: ID!) { deactivateApiToken(id: $id) ${TOKEN} }`,
    variables: { id: ids.token },
  }),
  activateApiToken: (ids) => ({
    query: `mutation($id: ID!) { activateApiToken(id: $id) ${TOKEN} }`,
    variables: { id: ids.token },
  }),
  rotateApiToken: (ids) => ({
    query: `mutation($id: ID!) { rotateApiToken(id: $id, gracePeriodMinutes: 5) { secret token ${TOKEN} } }`,
    variables: { id: ids.token },
  }),
  revokeApiToken: (ids) => ({
    query: `mutation($id: ID!) { revokeApiToken(id: $id) ${TOKEN} }`,
    variables: { id: ids.token },
  }),
  createBoard: () => ({ query: `mutation { createBoard(input: { name: "Ops" }) ${BOARD} }` }),
  updateBoard: (ids) => ({
    query: `mutation($id: ID!) { updateBoard(id: $id, input: { name: "Ops 2" }) ${BOARD} }`,
    variables: { id: ids.board },
  }),
  deleteBoard: (ids) => ({
    query: 'mutation($id: ID!) { deleteBoard(id: $id) }',
    variables: { id: ids.boardToDelete },
  }),
  createMonitor: (ids) => ({
    query: `mutation($board: ID!) { createMonitor(input: { boardId: $board, displayName: "API", monitorType: WEBSITE, url: "https://example.com", requestHeaders: [{ name: "X-A", value: "1" }] }) ${MONITOR} }`,
    variables: { board: ids.board },
  }),
  updateMonitor: (ids) => ({
    query: `mutation($id: ID!) { updateMonitor(id: $id, input: { displayName: "API 2", checkIntervalMinutes: 5 }) ${MONITOR} }`,
    variables: { id: ids.monitor },
  }),
  pauseMonitor: (ids) => ({
    query: `mutation($id: ID!) { pauseMonitor(id: $id) ${MONITOR} }`,
    variables: { id: ids.monitor },
  }),
  resumeMonitor: (ids) => ({
    query: `mutation($id: ID!) { resumeMonitor(id: $id) ${MONITOR} }`,
    variables: { id: ids.monitor },
  }),
  setMonitorStatus: (ids) => ({
    query: `mutation($id: ID!) { setMonitorStatus(id: $id, status: DOWN, message: "down") ${MONITOR} }`,
    variables: { id: ids.monitor },
  }),
  deleteMonitor: (ids) => ({
    query: 'mutation($id: ID!) { deleteMonitor(id: $id) }',
    variables: { id: ids.monitor },
  }),
  createIncident: (ids) => ({
    query: `mutation($board: ID!, $monitors: [ID!]) { createIncident(input: { boardId: $board, name: "Outage", severity: MAJOR, details: "x", monitorIds: $monitors }) ${INCIDENT} }`,
    variables: { board: ids.board, monitors: [ids.monitor, ids.otherMonitor] },
  }),
  updateIncident: (ids) => ({
    query: `mutation($id: ID!, $monitors: [ID!]) { updateIncident(id: $id, input: { name: "Outage 2", severity: MINOR, monitorIds: $monitors }) ${INCIDENT} }`,
    variables: { id: ids.incident, monitors: [ids.monitor, ids.otherMonitor] },
  }),
  addIncidentUpdate: (ids) => ({
    query: `mutation($id: ID!) { addIncidentUpdate(incidentId: $id, input: { message: "fixing", phase: IDENTIFIED }) ${INCIDENT} }`,
    variables: { id: ids.incident },
  }),
  resolveIncident: (ids) => ({
    query: `mutation($id: ID!) { resolveIncident(id: $id, message: "fixed") ${INCIDENT} }`,
    variables: { id: ids.incident },
  }),
  deleteIncident: (ids) => ({
    query: 'mutation($id: ID!) { deleteIncident(id: $id) }',
    variables: { id: ids.incident },
  }),
};

/**
 * The same request selecting nothing but `__typename`: its actual cost is the mutation's own
 * work, which the estimate must cover without the slack of a typical selection's estimate.
 */
function minimalOf(query: string): string {
  const start = query.indexOf(') ', query.indexOf('{ ') + 2);
  const body = query.slice(0, start + 1);
  return query.endsWith(') }') ? query : `${body} { __typename } }`;
}

const MUTATIONS = Object.keys(SCHEMA.getMutationType()?.getFields() ?? {}).sort();

describe('every mutation: requested ≥ actual', () => {
  let app: TestApp;
  let key = 0;
  beforeAll(async () => {
    app = await TestApp.start();
    // Other rows around, so that no statement is cheaper for an empty table.
    await insertStatusFixture(app, {
      boards: 3,
      monitorsPerBoard: 3,
      eventsPerMonitor: 2,
      incidents: 6,
      updatesPerIncident: 2,
    });
  }, 60_000);
  afterAll(() => app.close());

  /** Fresh objects for one request: a board with a monitor and an incident, a token. */
  async function freshIds(): Promise<Ids> {
    const actor = app.systemActor();
    const board = await app.services.boards.create(actor, { name: 'Cost' });
    const otherBoard = await app.services.boards.create(actor, { name: 'Cost 2' });
    const boardToDelete = await app.services.boards.create(actor, { name: 'Doomed' });
    const monitor = await app.services.monitors.create(actor, {
      boardId: board.id,
      displayName: 'Cost monitor',
      monitorType: MonitorType.CUSTOM,
    });
    const otherMonitor = await app.services.monitors.create(actor, {
      boardId: board.id,
      displayName: 'Cost monitor 2',
      monitorType: MonitorType.CUSTOM,
    });
    for (const displayName of ['Doomed 1', 'Doomed 2', 'Doomed 3']) {
      await app.services.monitors.create(actor, {
        boardId: boardToDelete.id,
        displayName,
        monitorType: MonitorType.CUSTOM,
      });
    }
    const incident = await app.services.incidents.create(actor, {
      boardId: board.id,
      name: 'Cost incident',
      severity: IncidentSeverity.MINOR,
      monitorIds: [monitor.id],
    });
    const token = await app.createToken('cost target', TokenPermission.FULL_ACCESS);
    return {
      board: board.id,
      otherBoard: otherBoard.id,
      otherMonitor: otherMonitor.id,
      boardToDelete: boardToDelete.id,
      monitor: monitor.id,
      incident: incident.id,
      token: token.token.id,
    };
  }

  async function run(name: string, withKey: boolean, minimal = false): Promise<CostReport> {
    const typical = CATALOGUE[name](await freshIds());
    const query = minimal ? minimalOf(typical.query) : typical.query;
    const { variables } = typical;
    const headers = new HeaderMap([['content-type', 'application/json']]);
    if (withKey) {
      headers.set('idempotency-key', `cost-${++key}`);
    }
    const response = await app.apollo.executeOperation(
      { query, variables, http: { method: 'POST', headers, search: '', body: {} } },
      { contextValue: await app.contextFor(app.identities.full.secret) },
    );
    if (response.body.kind !== 'single') {
      throw new Error('expected a single result');
    }
    const result = response.body.singleResult;
    expect({ name, errors: result.errors }).toEqual({ name, errors: undefined });
    return result.extensions?.cost as CostReport;
  }

  it('has a typical request for every mutation of the schema, and none that is gone', () => {
    expect(Object.keys(CATALOGUE).sort()).toEqual(MUTATIONS);
  });

  it.each(
    MUTATIONS.flatMap((name) =>
      (['typical', 'minimal'] as const).flatMap((selection) => [
        [name, selection, 'without'] as const,
        [name, selection, 'with'] as const,
      ]),
    ),
  )('%s, %s selection, %s an Idempotency-Key', async (name, selection, key) => {
    const cost = await run(name, key === 'with', selection === 'minimal');
    expect(cost.actualQueryCost).toBeGreaterThan(0);
    expect(cost.requestedQueryCost).toBeGreaterThanOrEqual(cost.actualQueryCost);
  });
});
