import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { freePort } from '../helpers/child-process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { In } from 'typeorm';
import { main as automation, GraphQLRequestError } from '../../examples/automation';
import { COLUMNS, main as exportCsv } from '../../examples/export-incidents-csv';
import { main as sync, type ResumeFrom } from '../../examples/sync-incidents';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { seedDemo } from '../../src/demo/demo-data';
import { IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentUpdate } from '../../src/incidents/incident-update.entity';
import { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/** The examples/ scripts, called in-process against a live server over real HTTP. */

const TRICKY_NAME = 'Checkout, "payments"\nand refunds';

/** A strict RFC 4180 reader, written independently of the example's writer. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"' && field === '') {
      // A quoted field: up to the closing quote, "" standing for one quote.
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new Error('unterminated quoted field');
        }
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else {
          field += text[i++];
        }
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        throw new Error(`text after a closing quote at ${i}`);
      }
    } else if (char === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (char === '"' || char === '\n' || char === '\r') {
      throw new Error(`unquoted ${JSON.stringify(char)} at ${i}`);
    } else {
      field += char;
      i++;
    }
  }
  if (field !== '' || record.length > 0) {
    throw new Error('the last record does not end with CRLF');
  }
  return records;
}

/** The rows the export must produce: every incident of the organization, tombstones included. */
async function expectedRows(app: TestApp): Promise<string[][]> {
  const incidents = await app.services.db.reader.find(Incident, {
    where: { organizationId: app.organization.id },
  });
  const boards = await app.services.db.reader.findBy(Board, {
    id: In([...new Set(incidents.map((incident) => incident.boardId))]),
  });
  const boardName = new Map(boards.map((board) => [board.id, board.name]));
  return incidents.map((incident) => [
    incident.id,
    incident.name,
    incident.severity,
    incident.phase,
    boardName.get(incident.boardId) ?? '(no board)',
    incident.startedAt.toISOString(),
    incident.resolvedAt?.toISOString() ?? '',
    incident.updatedAt.toISOString(),
    incident.deletedAt?.toISOString() ?? '',
  ]);
}

const byId = (a: string[], b: string[]) => a[0].localeCompare(b[0]);

describe('examples/export-incidents-csv', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
    await seedDemo(app.services, app.organization);
    const board = await app.services.boards.create(app.systemActor(), { name: 'Payments, EU' });
    const actor = app.systemActor();
    await app.services.incidents.create(actor, {
      boardId: board.id,
      name: TRICKY_NAME,
      severity: IncidentSeverity.MAJOR,
    });
    const deleted = await app.services.incidents.create(actor, {
      boardId: board.id,
      name: 'Opened by mistake',
      severity: IncidentSeverity.MINOR,
    });
    await app.services.incidents.delete(actor, deleted.id);
  });
  afterEach(() => app.close());

  it('writes every incident to a CSV file that reads back as the database holds them', async () => {
    const file = join(app.dir, 'incidents.csv');
    const result = await exportCsv({
      url: `${app.url}/graphql`,
      token: app.identities.readOnly.secret,
      file,
    });
    const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
    expect(header).toEqual([...COLUMNS]);
    const expected = await expectedRows(app);
    expect(expected.length).toBeGreaterThan(40);
    expect(rows.sort(byId)).toEqual(expected.sort(byId));
    expect(rows.find((row) => row[1] === TRICKY_NAME)?.[4]).toBe('Payments, EU');
    expect(rows.filter((row) => row[8] !== '').map((row) => row[1])).toEqual(['Opened by mistake']);
    expect(result).toEqual({ rows: expected.length, pages: 1 });
    // Only the finished file is left behind, no temporary one.
    expect(readdirSync(app.dir).filter((name) => name.startsWith('incidents'))).toEqual([
      'incidents.csv',
    ]);
  });

  it('follows endCursor page by page to a stream, each incident exactly once', async () => {
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    const result = await exportCsv({
      url: `${app.url}/graphql`,
      token: app.identities.readOnly.secret,
      output,
      pageSize: 7,
    });
    const [header, ...rows] = parseCsv(Buffer.concat(chunks).toString('utf8'));
    expect(header).toEqual([...COLUMNS]);
    const expected = await expectedRows(app);
    expect(new Set(rows.map((row) => row[0])).size).toBe(rows.length);
    expect(rows.sort(byId)).toEqual(expected.sort(byId));
    expect(result).toEqual({ rows: expected.length, pages: Math.ceil(expected.length / 7) });
  });

  it('fails with the API error and leaves no file for an unusable token', async () => {
    const file = join(app.dir, 'incidents.csv');
    await expect(
      exportCsv({ url: `${app.url}/graphql`, token: app.identities.revoked.secret, file }),
    ).rejects.toThrow(/^UNAUTHENTICATED: /);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});

describe('examples/sync-incidents', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
    await seedDemo(app.services, app.organization);
  });
  afterEach(() => app.close());

  const ids = (incidents: { id: string }[]) => incidents.map((incident) => incident.id).sort();

  it.each<ResumeFrom>(['cursor', 'updatedAfter'])(
    'reports exactly the incidents created, changed and deleted since the last run (%s)',
    async (resumeFrom) => {
      const options = {
        url: `${app.url}/graphql`,
        token: app.identities.readOnly.secret,
        stateFile: join(app.dir, 'sync-state.json'),
        resumeFrom,
        pageSize: 9,
      };
      const first = await sync(options);
      const live = await app.services.db.reader.find(Incident, {
        where: { organizationId: app.organization.id },
        order: { updatedAt: 'ASC', id: 'ASC' },
      });
      expect(first.firstRun).toBe(true);
      expect(ids(first.created)).toEqual(ids(live));
      expect(first.changed).toEqual([]);
      expect(first.deleted).toEqual([]);
      const last = live[live.length - 1];
      const stored: unknown = JSON.parse(readFileSync(options.stateFile, 'utf8'));
      expect(stored).toEqual({
        version: 1,
        endCursor: expect.any(String),
        lastUpdatedAt: last.updatedAt.toISOString(),
      });

      // Changes through the API, as other integrations make them.
      const api = app.asFullAccess();
      const [updated, renamed, removed] = live.slice(0, 3).map((incident) => incident.id);
      const { createIncident } = await api.data<{ createIncident: { id: string } }>(
        `mutation($board: ID!) { createIncident(input: {boardId: $board, name: "Queue backlog", severity: MINOR}) { id } }`,
        { board: live[0].boardId },
      );
      await api.data(
        `mutation($id: ID!) { addIncidentUpdate(incidentId: $id, input: {phase: MONITORING, message: "Watching."}) { id } }`,
        { id: updated },
      );
      await api.data(
        `mutation($id: ID!) { updateIncident(id: $id, input: {name: "Renamed"}) { id } }`,
        {
          id: renamed,
        },
      );
      await api.data(`mutation($id: ID!) { deleteIncident(id: $id) }`, { id: removed });

      const second = await sync(options);
      expect(second.firstRun).toBe(false);
      expect(ids(second.created)).toEqual([createIncident.id]);
      expect(ids(second.changed)).toEqual([updated, renamed].sort());
      expect(ids(second.deleted)).toEqual([removed]);
      expect(second.changed.find((incident) => incident.id === renamed)?.name).toBe('Renamed');
      expect(second.state.endCursor).not.toBe(first.state.endCursor);

      // Nothing changed since: nothing to report, and the position is kept, not reset.
      const third = await sync(options);
      expect([third.created, third.changed, third.deleted]).toEqual([[], [], []]);
      expect(third.state).toEqual(second.state);
      expect(JSON.parse(readFileSync(options.stateFile, 'utf8'))).toEqual(second.state);
    },
  );
});

describe('examples/automation', () => {
  let app: TestApp;
  let boardId: string;
  beforeEach(async () => {
    app = await TestApp.start();
    boardId = (await app.services.boards.create(app.systemActor(), { name: 'Checkout' })).id;
  });
  afterEach(() => app.close());

  const incidentsOf = () =>
    app.services.db.reader.findBy(Incident, { organizationId: app.organization.id });

  it('opens an incident, adds an update and resolves it with a FULL_ACCESS token', async () => {
    const lines: string[] = [];
    const result = await automation({
      url: `${app.url}/graphql`,
      token: app.identities.full.secret,
      name: 'Checkout errors',
      update: 'A bad deploy; rolling back.',
      resolution: 'Rolled back; error rate normal.',
      log: (line) => lines.push(line),
    });
    const incident = await app.services.db.reader.findOneBy(Incident, { id: result.incidentId });
    expect(incident).toMatchObject({ boardId, name: 'Checkout errors', phase: 'RESOLVED' });
    expect(incident?.resolvedAt).toBeInstanceOf(Date);
    const updates = await app.services.db.reader.find(IncidentUpdate, {
      where: { incidentId: result.incidentId },
      order: { createdAt: 'ASC' },
    });
    const expectedUpdates = [
      { phase: 'IDENTIFIED', message: 'A bad deploy; rolling back.' },
      { phase: 'RESOLVED', message: 'Rolled back; error rate normal.' },
    ];
    expect(updates.map(({ phase, message }) => ({ phase, message }))).toEqual(expectedUpdates);
    expect(result).toEqual({
      incidentId: incident?.id,
      phase: 'RESOLVED',
      updates: expectedUpdates,
    });
    expect(lines).toEqual([]);
  });

  it('fails with a clear FORBIDDEN message for a READ_ONLY token, creating nothing, asking once', async () => {
    const lines: string[] = [];
    const failure = await automation({
      url: `${app.url}/graphql`,
      token: app.identities.readOnly.secret,
      boardId,
      name: 'Checkout errors',
      retryDelayMs: 1,
      log: (line) => lines.push(line),
    }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GraphQLRequestError);
    expect(failure).toMatchObject({
      code: 'FORBIDDEN',
      requiredPermission: 'FULL_ACCESS',
      message:
        'FORBIDDEN: This operation requires a full-access API token; this token is read-only.',
    });
    expect(await incidentsOf()).toEqual([]);
    // A GraphQL error is final: one request, one DENIED audit event, no retry.
    expect(lines).toEqual([]);
    const denied = await app.services.db.reader.findBy(AuditEvent, {
      organizationId: app.organization.id,
      action: 'createIncident',
    });
    expect(denied.map((event) => event.outcome)).toEqual(['DENIED']);
  });

  it('retries while the server cannot be reached, then succeeds', async () => {
    // A real TCP forwarder to the server on a port that refuses connections at first.
    const port = await freePort();
    const target = new URL(app.url);
    const sockets = new Set<Socket>();
    const forwarder = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    const lines: string[] = [];
    const run = automation({
      url: `http://127.0.0.1:${port}/graphql`,
      token: app.identities.full.secret,
      boardId,
      name: 'Checkout errors',
      retryDelayMs: 100,
      attempts: 6,
      log: (line) => lines.push(line),
    });
    try {
      // The server comes up once the script has met a refused connection and is retrying.
      await until(() => lines.length > 0, 'a refused attempt');
      await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
      const result = await run;
      expect(result.phase).toBe('RESOLVED');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((line) => line.startsWith('network error (ECONNREFUSED), retrying'))).toBe(
        true,
      );
      // Retried before anything reached the server: exactly one incident.
      expect((await incidentsOf()).map((incident) => incident.id)).toEqual([result.incidentId]);
    } finally {
      await run.catch(() => undefined);
      for (const socket of sockets) {
        socket.destroy();
      }
      await closeServer(forwarder);
    }
  });

  it('gives up after its attempts with a network error when nothing listens', async () => {
    const port = await freePort();
    const lines: string[] = [];
    await expect(
      automation({
        url: `http://127.0.0.1:${port}/graphql`,
        token: app.identities.full.secret,
        boardId,
        name: 'Checkout errors',
        retryDelayMs: 1,
        attempts: 3,
        log: (line) => lines.push(line),
      }),
    ).rejects.toThrow('network error (ECONNREFUSED) after 3 attempt(s)');
    expect(lines).toHaveLength(2);
  });
});

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
