import { IncidentPhase, IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { Monitor } from '../../src/monitors/monitor.entity';
import { Board } from '../../src/boards/board.entity';
import { boardRow, incidentRow, insertRows, monitorRow } from '../helpers/incident-fixture';
import { statementsOfRequest } from '../helpers/statements';
import { TestApp } from '../helpers/test-app';
import { DEFAULT_LIMITS } from '../../src/core/config';

/**
 * List pages read their rows lean (issue 17): timestamps as text from the database, only the
 * columns asked for, the board joined and the monitors read with the page. What a client gets
 * must not change: every node of a list is, byte for byte, what the single-object path (an
 * entity, its timestamps Dates) gives for the same selection, on SQLite and PostgreSQL alike.
 */

const FIELDS = `id name details severity phase startedAt resolvedAt willStartAt willEndAt
  createdAt updatedAt deletedAt board { id name createdAt updatedAt }
  monitors { id displayName createdAt }`;

// Milliseconds of every shape: none (.000, which PostgreSQL's text form drops), one and two
// significant digits (.100, .120), and the ends of the DateTime range.
const INSTANTS = [
  '2026-03-01T12:00:00.000Z',
  '2026-03-01T12:00:00.100Z',
  '2026-03-01T12:00:00.120Z',
  '2026-03-01T12:00:00.001Z',
  '1970-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '2027-07-15T23:59:59.999Z',
];

describe('list rows: lean reads, the same bytes', () => {
  let app: TestApp;
  let ids: string[];
  let board: Board;

  beforeAll(async () => {
    app = await TestApp.start();
    const org = app.organization.id;
    board = boardRow(org, 'Checkout', new Date('2026-01-01T00:00:00.000Z'));
    await insertRows(app.services, Board, [board]);
    const monitors = ['Payments', 'API'].map((name, i) =>
      monitorRow(org, board.id, name, new Date(`2026-01-0${i + 2}T00:00:00.000Z`)),
    );
    await insertRows(app.services, Monitor, monitors);
    const incidents = INSTANTS.map((iso, i) => {
      const at = new Date(iso);
      return incidentRow(org, board.id, i, at, {
        details: i % 2 === 0 ? null : `Details ${i}`,
        severity: i === 3 ? IncidentSeverity.MAINTENANCE : IncidentSeverity.MINOR,
        phase: i === 3 ? IncidentPhase.SCHEDULED : IncidentPhase.RESOLVED,
        resolvedAt: i === 3 ? null : at,
        willStartAt: i === 3 ? new Date('2027-01-01T00:00:00.000Z') : null,
        willEndAt: i === 3 ? new Date('2027-01-01T02:00:00.500Z') : null,
        createdAt: new Date(INSTANTS[(i + 1) % INSTANTS.length]),
        updatedAt: new Date(INSTANTS[(i + 2) % INSTANTS.length]),
      });
    });
    await insertRows(app.services, Incident, incidents);
    await insertRows(app.services, IncidentMonitor, [
      { incidentId: incidents[0].id, monitorId: monitors[0].id },
      { incidentId: incidents[0].id, monitorId: monitors[1].id },
      { incidentId: incidents[2].id, monitorId: monitors[0].id },
    ]);
    ids = incidents.map((incident) => incident.id);
  });
  afterAll(() => app.close());

  const single = async (id: string) => {
    const data = await app.data<{ incident: unknown }>(
      `query($id: ID!) { incident(id: $id) { ${FIELDS} } }`,
      { id },
    );
    return JSON.stringify(data.incident);
  };

  it.each(['STARTED_AT_DESC', 'STARTED_AT_ASC', 'UPDATED_AT_ASC'])(
    'incidents(orderBy: %s): every node is what incident(id) gives, byte for byte',
    async (orderBy) => {
      const data = await app.data<{ incidents: { nodes: { id: string }[] } }>(
        `{ incidents(first: 100, orderBy: ${orderBy}) { nodes { ${FIELDS} } } }`,
      );
      expect(data.incidents.nodes.map((node) => node.id).sort()).toEqual([...ids].sort());
      for (const node of data.incidents.nodes) {
        expect(JSON.stringify(node)).toBe(await single(node.id));
      }
    },
  );

  it('Board.incidents and edges carry the same bytes, and cursors that continue the list', async () => {
    const data = await app.data<{
      board: { incidents: { edges: { cursor: string; node: { id: string } }[] } };
    }>(
      `query($id: ID!) { board(id: $id) { incidents(first: 100) { edges { cursor node { ${FIELDS} } } } } }`,
      {
        id: board.id,
      },
    );
    const edges = data.board.incidents.edges;
    expect(edges).toHaveLength(INSTANTS.length);
    for (const edge of edges) {
      expect(JSON.stringify(edge.node)).toBe(await single(edge.node.id));
    }
    const next = await app.data<{ incidents: { nodes: { id: string }[] } }>(
      'query($after: String) { incidents(first: 1, after: $after) { nodes { id } } }',
      { after: edges[2].cursor },
    );
    expect(next.incidents.nodes.map((node) => node.id)).toEqual([edges[3].node.id]);
  });

  it.each(['2026-03-01 12:00:00', '2026-03-01 12:00', '2026-03-01T12:00:00.5+02:00'])(
    'a timestamp stored as %s reads the same in a list as through the entity',
    async (stored) => {
      const db = app.services.db;
      const placeholder = (n: number) => (db.isSqlite ? '?' : `$${n}`);
      await db.write((manager) =>
        manager.query(
          `UPDATE incident SET will_start_at = ${placeholder(1)} WHERE id = ${placeholder(2)}`,
          [stored, ids[5]],
        ),
      );
      const data = await app.data<{ incidents: { nodes: { id: string }[] } }>(
        `{ incidents(first: 100) { nodes { ${FIELDS} } } }`,
      );
      const node = data.incidents.nodes.find((n) => n.id === ids[5]);
      expect(JSON.stringify(node)).toBe(await single(ids[5]));
      expect(node).toMatchObject({
        willStartAt: expect.stringMatching(/^2026-03-01T1\d:00:00\.\d{3}Z$/),
      });
    },
  );

  it('a page reads only the columns it asks for, its board in the same statement', async () => {
    const { data, statements } = await statementsOfRequest<{
      incidents: { nodes: { name: string; board: { name: string } }[] };
    }>(app, '{ incidents(first: 100) { nodes { name board { name } } } }');
    expect(data.incidents.nodes.every((node) => node.board.name === 'Checkout')).toBe(true);
    const page = statements.filter((sql) => /FROM\s+"incident"/i.test(sql));
    expect(page).toHaveLength(1);
    expect(page[0]).not.toMatch(/details|will_start_at|will_end_at|created_at|deleted_at"? AS/i);
    // No statement reads the boards on their own.
    expect(statements.filter((sql) => /FROM\s+"board"/i.test(sql))).toEqual([]);
  });

  it('any text reads the same in a list as through the entity', async () => {
    // Quotes, backslashes, line breaks, control characters, separators and astral characters:
    // on SQLite a page travels from the driver as one JSON text (src/db/pagination.ts).
    const name = 'a "quoted" \\ path\nnext\tline \u0001\u001f \u2028\u2029\u0085 ✓ 😀 \'; DROP';
    const details = '{"json":[1,2]} </script> \r\n ]';
    const db = app.services.db;
    const placeholder = (n: number) => (db.isSqlite ? '?' : `$${n}`);
    await db.write((manager) =>
      manager.query(
        `UPDATE incident SET name = ${placeholder(1)}, details = ${placeholder(2)} WHERE id = ${placeholder(3)}`,
        [name, details, ids[1]],
      ),
    );
    const data = await app.data<{ incidents: { nodes: { id: string }[] } }>(
      `{ incidents(first: 100) { nodes { ${FIELDS} } } }`,
    );
    const node = data.incidents.nodes.find((n) => n.id === ids[1]);
    expect(node).toMatchObject({ name, details });
    expect(JSON.stringify(node)).toBe(await single(ids[1]));
  });

  it('a page is charged a point per row it read, however the driver hands them over', async () => {
    // 3 rows and the look-ahead row that tells another page follows, in one statement.
    const result = (await app.execute(
      app.identities.full.secret,
      '{ incidents(first: 3) { nodes { id } } }',
    )) as { extensions?: { cost?: { actualQueryCost: number } } };
    expect(result.extensions?.cost?.actualQueryCost).toBe(DEFAULT_LIMITS.costPerRequest + 1 + 4);
  });
});
