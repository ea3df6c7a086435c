import { type StatusFixture, insertStatusFixture } from '../helpers/status-fixture';
import { statementsOfRequest } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';

/**
 * A mutation's transaction sends no statement it does not need: every statement of a write waits
 * its turn on a busy server (SQLite's one writer, PostgreSQL's locks), so each one is latency
 * under load (issue 13's createIncident tail). The row a change locks is read once (not again
 * by an ORM save to find what changed), the audit event is inserted and never read back, and a
 * new incident has no links to delete.
 */
describe('the statements of a write', () => {
  let app: TestApp;
  let fixture: StatusFixture;
  beforeAll(async () => {
    app = await TestApp.start();
    fixture = await insertStatusFixture(app, {
      boards: 1,
      monitorsPerBoard: 3,
      eventsPerMonitor: 0,
      incidents: 1,
      updatesPerIncident: 0,
    });
  }, 60_000);
  afterAll(() => app.close());

  const statementsOfMutation = async (query: string, variables: Record<string, unknown>) =>
    (await statementsOfRequest(app, query, variables, app.identities.full.secret)).statements;

  const touching = (statements: string[], verb: string, table: string) =>
    statements.filter((sql) => new RegExp(`^${verb}\\b[^;]*"${table}"`, 'i').test(sql.trim()));

  it('createIncident: the incident and its links inserted, nothing deleted or read back', async () => {
    const statements = await statementsOfMutation(
      `mutation Create($input: CreateIncidentInput!) {
        createIncident(input: $input) { id name monitors { id } }
      }`,
      {
        input: {
          boardId: fixture.boards[0].id,
          name: 'Checkout errors',
          severity: 'MAJOR',
          monitorIds: fixture.monitors.slice(0, 2).map((monitor) => monitor.id),
        },
      },
    );
    expect(statements.filter((sql) => /^DELETE/i.test(sql.trim()))).toEqual([]);
    expect(touching(statements, 'SELECT', 'audit_event')).toEqual([]);
    expect(touching(statements, 'INSERT', 'audit_event')).toHaveLength(1);
    expect(touching(statements, 'INSERT', 'incident')).toHaveLength(1);
    expect(touching(statements, 'INSERT', 'incident_monitor')).toHaveLength(1);
    // The monitors are checked by the links' insert itself (INSERT … SELECT), not counted first.
    expect(statements.filter((sql) => /COUNT\(/i.test(sql))).toEqual([]);
  });

  it.each([
    [
      'addIncidentUpdate',
      `mutation Add($id: ID!) {
        addIncidentUpdate(incidentId: $id, input: { phase: IDENTIFIED, message: "Found it" }) { id phase }
      }`,
    ],
    [
      'updateIncident',
      `mutation Update($id: ID!) { updateIncident(id: $id, input: { name: "Renamed" }) { id name } }`,
    ],
  ])('%s: the incident read once (locked) and written once', async (_name, query) => {
    const id = fixture.incidents[0].id;
    const statements = await statementsOfMutation(query, { id });
    const inTransaction = statements.slice(
      statements.findIndex((sql) => /^(BEGIN|START TRANSACTION)/i.test(sql.trim())),
      statements.findIndex((sql) => /^COMMIT/i.test(sql.trim())) + 1,
    );
    expect(touching(inTransaction, 'SELECT', 'incident')).toHaveLength(1);
    expect(touching(inTransaction, 'UPDATE', 'incident')).toHaveLength(1);
    expect(touching(inTransaction, 'SELECT', 'audit_event')).toEqual([]);
    const row = await app.data<{ incident: { name: string; phase: string } }>(
      `query One($id: ID!) { incident(id: $id) { name phase } }`,
      { id },
    );
    expect(row.incident.phase).toBe('IDENTIFIED');
  });

  it('a change writes only the columns it changed', async () => {
    const id = fixture.incidents[0].id;
    const before = await app.data<{ incident: { name: string; updatedAt: string } }>(
      `query One($id: ID!) { incident(id: $id) { name details severity updatedAt } }`,
      { id },
    );
    const statements = await statementsOfMutation(
      `mutation Update($id: ID!, $name: String!) { updateIncident(id: $id, input: { name: $name }) { id } }`,
      { id, name: before.incident.name },
    );
    // updatedAt still moves (a change was asked for and audited), so exactly that is written.
    const updates = touching(statements, 'UPDATE', 'incident');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatch(/"updated_at"/);
    expect(updates[0]).not.toMatch(/"name"|"details"|"severity"/);
  });
});
