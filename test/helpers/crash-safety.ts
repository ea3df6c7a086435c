import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { Client } from 'pg';
import sqlite3 from 'sqlite3';
import type { Child } from './child-process';
import { freePort, killAll, spawnMain } from './child-process';
import { HttpClient } from './http-client';
import { until } from './wait';
import { type TestDatabase, createTestDatabase } from './test-database';

/**
 * Crash safety: several clients send a stream of mutations that each write several rows, the
 * server (`node dist/src/main.js`, built by `pretest`) is killed with SIGKILL while requests are
 * in flight, and a new server on the same database must hold every acknowledged mutation whole
 * and no mutation in part. On both databases under `npm run test:postgres` (SQLite alone under
 * `npm test`, which needs no PostgreSQL server), whatever STATUSGRAPH_TEST_DB says: each
 * has its own way to lose or tear a write (SQLite's WAL and single shared connection,
 * PostgreSQL's pool and commits already sent when the client dies).
 *
 * Every client works on incidents of its own, one mutation at a time, so the mutations applied
 * to an incident are always a prefix of what its client sent: all acknowledged ones, and perhaps
 * the one in flight at the kill, entirely or not at all. The check compares each incident, as
 * the database holds it and as the restarted server returns it, with those two possible states.
 */

const SECRET = /sgp_[0-9A-Za-z]{36}/g;
const CLIENTS = 8;
/**
 * Acknowledged mutations before the kill is armed (0–25 more, at random); the kill then follows
 * the next request the moment its bytes are handed to the server.
 */
const ACKS_BEFORE_KILL = 300;
const MIN_ACKS = 50;
const MONITORS = 4;
const REQUEST_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 120_000;

const children: Child[] = [];

interface ServerProcess {
  child: Child;
  url: string;
}

/** Starts the built server on a free port and waits for its "listening" line. */
async function startServer(databaseUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawnMain(
    port,
    databaseUrl,
    // A few hundred mutations a second from one token is this test, not abuse.
    { COST_BUCKET_SIZE: '1000000000', COST_RESTORE_RATE: '1000000000' },
    { startMs: START_TIMEOUT_MS, exitMs: 15_000 },
  );
  children.push(child);
  await child.waitForStdout(/"msg":"statusgraph listening on /);
  return { child, url: `http://127.0.0.1:${port}` };
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * One GraphQL request over node:http. `onSent` runs once the whole request is handed to the
 * operating system (the request's `finish`): the server has it, or is about to, and cannot have
 * answered it yet. A connection cut before a complete response rejects.
 */
function post<T>(
  server: ServerProcess,
  secret: string,
  query: string,
  variables: Record<string, unknown> = {},
  onSent?: () => void,
): Promise<{ status: number; body: GraphQLBody<T> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      timeout: REQUEST_TIMEOUT_MS,
    });
    req.on('timeout', () => req.destroy(new Error(`no response in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (onSent) {
      req.on('finish', onSent);
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (!res.complete) {
          reject(new Error('the connection closed before the response was complete'));
          return;
        }
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLBody<T>;
          resolve({ status: res.statusCode ?? 0, body });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.end(JSON.stringify({ query, variables }));
  });
}

/** The data of a request that must succeed (HttpClient.data, on this server). */
const data = <T>(
  server: ServerProcess,
  secret: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> => new HttpClient(`${server.url}/graphql`, secret).data<T>(query, variables);

// ---------------------------------------------------------------------------------------------
// The stream: per incident, five mutations that each change several rows in one transaction.

/** An incident as the mutations leave it, in the terms both the API and the tables show. */
interface IncidentState {
  name: string;
  details: string | null;
  severity: string;
  phase: string;
  resolved: boolean;
  monitorIds: string[];
  /** `PHASE: message`, oldest first. */
  updates: string[];
}

type Action = 'createIncident' | 'addIncidentUpdate' | 'updateIncident' | 'resolveIncident';

interface Step {
  action: Action;
  query: string;
  variables(incidentId: string | null): Record<string, unknown>;
  apply(state: IncidentState | null): IncidentState;
}

type Sending = 'pending' | 'acknowledged' | 'lost' | 'refused';

interface SentStep {
  step: Step;
  outcome: Sending;
  /** For lost and refused steps: when the client learned it, and what it got. */
  /** Whether it failed while the server still ran (before the kill). */
  failedBeforeKill?: boolean;
  failure?: string;
}

/** An incident's state and the actions of its SUCCEEDED audit events, sorted; null when absent. */
interface Outcome {
  state: IncidentState | null;
  actions: string[];
}

/**
 * Whether two outcomes are equal. Compared as JSON in a fixed key order: rows from the database
 * drivers come from another realm than Jest's, so a prototype-sensitive deep equality fails.
 */
function same(a: Outcome, b: Outcome): boolean {
  const canonical = ({ state, actions }: Outcome) =>
    JSON.stringify([
      state && [
        state.name,
        state.details,
        state.severity,
        state.phase,
        state.resolved,
        state.monitorIds,
        state.updates,
      ],
      actions,
    ]);
  return canonical(a) === canonical(b);
}

/** One client's incident: what was sent for it, and its id once createIncident was acknowledged. */
interface Tracked {
  client: number;
  name: string;
  id: string | null;
  sent: SentStep[];
}

const CREATE = `mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id name monitors { id } } }`;
const ADD_UPDATE = `mutation($id: ID!, $input: IncidentUpdateInput!) {
  addIncidentUpdate(incidentId: $id, input: $input) { id phase } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { id severity } }`;
const RESOLVE = `mutation($id: ID!, $message: String) {
  resolveIncident(id: $id, message: $message) { id resolvedAt } }`;

function required(state: IncidentState | null): IncidentState {
  if (state === null) {
    throw new Error('a change before the incident exists');
  }
  return state;
}

function needId(id: string | null): string {
  if (id === null) {
    throw new Error('a change before createIncident was acknowledged');
  }
  return id;
}

/** The five mutations of one client's n-th incident; every text carries the incident's marker. */
function plan(boardId: string, monitorIds: string[], client: number, n: number): Step[] {
  const name = `crash c${client} n${n}`;
  const created = [...new Set([monitorIds[client % MONITORS], monitorIds[(client + n + 1) % 4]])];
  const changed = monitorIds.filter((_, i) => i !== client % MONITORS);
  const addUpdate = (phase: string, message: string): Step => ({
    action: 'addIncidentUpdate',
    query: ADD_UPDATE,
    variables: (id) => ({ id: needId(id), input: { phase, message } }),
    apply: (state) => {
      const s = required(state);
      return { ...s, phase, resolved: false, updates: [...s.updates, `${phase}: ${message}`] };
    },
  });
  return [
    {
      action: 'createIncident',
      query: CREATE,
      variables: () => ({
        input: {
          boardId,
          name,
          severity: 'MINOR',
          details: `${name} created`,
          monitorIds: created,
        },
      }),
      apply: () => ({
        name,
        details: `${name} created`,
        severity: 'MINOR',
        phase: 'INVESTIGATING',
        resolved: false,
        monitorIds: [...created].sort(),
        updates: [],
      }),
    },
    addUpdate('IDENTIFIED', `${name} update 1`),
    {
      action: 'updateIncident',
      query: UPDATE,
      variables: (id) => ({
        id: needId(id),
        input: { details: `${name} changed`, severity: 'MAJOR', monitorIds: changed },
      }),
      apply: (state) => ({
        ...required(state),
        details: `${name} changed`,
        severity: 'MAJOR',
        monitorIds: [...changed].sort(),
      }),
    },
    addUpdate('MONITORING', `${name} update 2`),
    {
      action: 'resolveIncident',
      query: RESOLVE,
      variables: (id) => ({ id: needId(id), message: `${name} resolved` }),
      apply: (state) => {
        const s = required(state);
        return {
          ...s,
          phase: 'RESOLVED',
          resolved: true,
          updates: [...s.updates, `RESOLVED: ${name} resolved`],
        };
      },
    },
  ];
}

/**
 * The shared state of the stream: acknowledgments so far and the kill. Once armed, the next
 * request sent carries the kill: the server is killed the moment that request is handed to it,
 * so at least that one is in flight, whatever the other clients' responses are doing. (Killing
 * on an acknowledgement alone left nothing in flight when the server answered faster than this
 * process read: every other response already waited in a socket buffer.)
 */
interface Stream {
  acks: number;
  armed: boolean;
  /** The kill is on its way: the request that carries it has been sent. */
  killing: boolean;
  /** The kill happened: no client sends again. */
  stopped: boolean;
  kill: () => void;
  tracked: Tracked[];
}

/** One client: incident after incident, one mutation at a time, until the kill. */
async function runClient(
  client: number,
  server: ServerProcess,
  secret: string,
  boardId: string,
  monitorIds: string[],
  stream: Stream,
  onAck: () => void,
): Promise<void> {
  for (let n = 0; !stream.stopped; n++) {
    const tracked: Tracked = { client, name: `crash c${client} n${n}`, id: null, sent: [] };
    stream.tracked.push(tracked);
    for (const step of plan(boardId, monitorIds, client, n)) {
      if (stream.stopped) {
        return;
      }
      const sent: SentStep = { step, outcome: 'pending' };
      tracked.sent.push(sent);
      let onSent: (() => void) | undefined;
      if (stream.armed && !stream.killing) {
        stream.killing = true;
        onSent = () => {
          stream.stopped = true;
          stream.kill();
        };
      }
      let response: { status: number; body: GraphQLBody<Record<string, { id: string } | null>> };
      try {
        response = await post(server, secret, step.query, step.variables(tracked.id), onSent);
      } catch (error) {
        // No complete response: the server died (or, before the kill, something is wrong).
        sent.outcome = 'lost';
        sent.failedBeforeKill = !stream.stopped;
        sent.failure = String(error);
        return;
      }
      const result = response.body.data?.[step.action];
      if (response.status !== 200 || response.body.errors !== undefined || !result) {
        sent.outcome = 'refused';
        sent.failedBeforeKill = !stream.stopped;
        sent.failure = `${response.status} ${JSON.stringify(response.body)}`;
        return;
      }
      sent.outcome = 'acknowledged';
      if (step.action === 'createIncident') {
        tracked.id = result.id;
      }
      onAck();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Looking at the database directly, not through the server.

type Row = Record<string, unknown>;

interface Inspector {
  rows<T extends Row>(sql: string): Promise<T[]>;
  /**
   * Returns once the killed server's work is final. On PostgreSQL a COMMIT the dead server had
   * sent is still carried out: wait (bounded) until its sessions, found by application name,
   * are gone.
   */
  settle(applicationName: string): Promise<void>;
  close(): Promise<void>;
}

async function openSqlite(path: string): Promise<Inspector> {
  const db = await new Promise<sqlite3.Database>((done, fail) => {
    const opened: sqlite3.Database = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (error) =>
      error ? fail(error) : done(opened),
    );
  });
  return {
    rows: <T extends Row>(sql: string) =>
      new Promise<T[]>((done, fail) =>
        db.all(sql, (error: Error | null, rows: T[]) => (error ? fail(error) : done(rows))),
      ),
    settle: async () => undefined,
    close: () => new Promise<void>((done, fail) => db.close((e) => (e ? fail(e) : done()))),
  };
}

async function openPostgres(url: string): Promise<Inspector> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    rows: async <T extends Row>(sql: string) => (await client.query<T>(sql)).rows,
    async settle(applicationName) {
      const open = async () =>
        (
          await client.query<{ n: number }>(
            'SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          )
        ).rows[0].n;
      await until(
        async () => (await open()) === 0,
        'the killed server’s sessions to close',
        15_000,
      );
    },
    close: () => client.end(),
  };
}

/** A stored timestamp in milliseconds: SQLite keeps `YYYY-MM-DD HH:MM:SS.SSS` text in UTC. */
function millis(value: unknown): number {
  if (value instanceof Date) {
    return value.getTime();
  }
  if (typeof value === 'string') {
    return new Date(`${value.replace(' ', 'T')}Z`).getTime();
  }
  throw new Error(`not a timestamp: ${JSON.stringify(value)}`);
}

interface IncidentRow extends Row {
  id: string;
  name: string;
  details: string | null;
  severity: string;
  phase: string;
  resolved_at: unknown;
  created_at: unknown;
  updated_at: unknown;
  deleted_at: unknown;
}

interface UpdateRow extends Row {
  incident_id: string;
  phase: string;
  message: string;
  created_at: unknown;
}

interface AuditRow extends Row {
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  token_id: string | null;
  at: unknown;
}

/**
 * Everything the check needs (the tables are small), one query after another: one PostgreSQL
 * client runs one query at a time. Nothing writes these tables while the check reads them.
 */
async function snapshot(db: Inspector) {
  const incidents = await db.rows<IncidentRow>(
    'SELECT id, name, details, severity, phase, resolved_at, created_at, updated_at, deleted_at FROM incident',
  );
  const links = await db.rows<{ incident_id: string; monitor_id: string }>(
    'SELECT incident_id, monitor_id FROM incident_monitor',
  );
  const updates = await db.rows<UpdateRow>(
    'SELECT incident_id, phase, message, created_at FROM incident_update ORDER BY created_at, id',
  );
  const audit = await db.rows<AuditRow>(
    'SELECT action, outcome, target_type, target_id, token_id, at FROM audit_event',
  );
  const tokens = await db.rows<{ id: string; last_write_at: unknown }>(
    'SELECT id, last_write_at FROM api_token',
  );
  // Rows that point at nothing: a part written without its whole.
  const orphans = await db.rows<{ kind: string; n: number | string }>(
    `SELECT 'update without incident' AS kind, COUNT(*) AS n FROM incident_update u
       WHERE NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = u.incident_id)
     UNION ALL
     SELECT 'link without incident', COUNT(*) FROM incident_monitor l
       WHERE NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = l.incident_id)
     UNION ALL
     SELECT 'link without monitor', COUNT(*) FROM incident_monitor l
       WHERE NOT EXISTS (SELECT 1 FROM monitor m WHERE m.id = l.monitor_id)
     UNION ALL
     SELECT 'incident event without incident', COUNT(*) FROM audit_event e
       WHERE e.target_type = 'Incident'
         AND NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = e.target_id)
     UNION ALL
     SELECT 'incident without its creation event', COUNT(*) FROM incident i
       WHERE NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.target_id = i.id
         AND e.action = 'createIncident' AND e.outcome = 'SUCCEEDED')`,
  );
  return { incidents, links, updates, audit, tokens, orphans };
}

/** An incident as the API shows it. */
interface ApiIncident {
  id: string;
  name: string;
  details: string | null;
  severity: string;
  phase: string;
  resolvedAt: string | null;
  monitors: { id: string }[];
  updates: { phase: string; message: string }[];
}

const INCIDENTS = `query($board: ID!) {
  incidents(filter: { boardId: $board }, first: 1000) {
    nodes { id name details severity phase resolvedAt monitors { id } updates { phase message } }
    pageInfo { hasNextPage } } }`;

function apiState(incident: ApiIncident): IncidentState {
  return {
    name: incident.name,
    details: incident.details,
    severity: incident.severity,
    phase: incident.phase,
    resolved: incident.resolvedAt !== null,
    monitorIds: incident.monitors.map((m) => m.id).sort(),
    updates: incident.updates.map((u) => `${u.phase}: ${u.message}`),
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * The crash-safety tests on one database, inside the caller's describe: crash-safety.test.ts on
 * SQLite, crash-safety.postgres.test.ts on PostgreSQL.
 */
export function crashSafety(kind: 'sqlite' | 'postgres'): void {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });
  afterEach(() => killAll(children));

  /** The server's DATABASE_URL; on PostgreSQL named, so its sessions can be found. */
  function databaseUrl(db: TestDatabase, applicationName: string): string {
    if (db.config.type === 'sqlite') {
      return `sqlite:${db.config.path}`;
    }
    const url = new URL(db.config.url);
    url.searchParams.set('application_name', applicationName);
    return url.toString();
  }

  it(
    'keeps every acknowledged mutation whole and no mutation in part after SIGKILL in the middle of a stream',
    async () => {
      const db = await createTestDatabase(kind);
      database = db;
      const firstName = `crash-first-${db.schema ?? 'sqlite'}`.slice(0, 60);

      // First start on an empty database: the bootstrap secret, a board and monitors.
      const first = await startServer(databaseUrl(db, firstName));
      const secrets = [...new Set(first.child.stdout.match(SECRET) ?? [])];
      expect(secrets).toHaveLength(1);
      const secret = secrets[0];
      const board = await data<{ createBoard: { id: string } }>(
        first,
        secret,
        'mutation { createBoard(input: { name: "Crash" }) { id } }',
      );
      const boardId = board.createBoard.id;
      const monitorIds: string[] = [];
      for (let i = 0; i < MONITORS; i++) {
        const created = await data<{ createMonitor: { id: string } }>(
          first,
          secret,
          'mutation($input: CreateMonitorInput!) { createMonitor(input: $input) { id } }',
          { input: { boardId, displayName: `Crash monitor ${i}`, monitorType: 'CUSTOM' } },
        );
        monitorIds.push(created.createMonitor.id);
      }

      // The stream, and the kill just after the threshold, with requests in flight.
      const stream: Stream = {
        acks: 0,
        armed: false,
        killing: false,
        stopped: false,
        kill: () => first.child.process.kill('SIGKILL'),
        tracked: [],
      };
      // Armed after a random count of acknowledgements past the threshold, so the moment falls
      // differently among the clients and their steps from one run to the next.
      const killAfter = ACKS_BEFORE_KILL + randomInt(0, 25);
      const onAck = () => {
        stream.acks++;
        if (stream.acks >= killAfter) {
          stream.armed = true;
        }
      };
      await Promise.all(
        Array.from({ length: CLIENTS }, (_, client) =>
          runClient(client, first, secret, boardId, monitorIds, stream, onAck),
        ),
      );
      expect(await first.child.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
      if (!stream.stopped) {
        throw new Error('the stream ended without the kill');
      }

      const sent = stream.tracked.flatMap((t) => t.sent);
      const acknowledged = sent.filter((s) => s.outcome === 'acknowledged');
      const lost = sent.filter((s) => s.outcome === 'lost');
      // Not vacuous: many writes answered before the kill, and some cut off by it.
      expect(acknowledged.length).toBeGreaterThanOrEqual(MIN_ACKS);
      expect(lost.length).toBeGreaterThanOrEqual(1);
      // Nothing failed but what the kill cut off: no refusal, no error before the kill.
      expect(sent.filter((s) => s.outcome === 'refused').map((s) => s.failure)).toEqual([]);
      expect(lost.filter((s) => s.failedBeforeKill).map((s) => s.failure)).toEqual([]);
      expect(sent.filter((s) => s.outcome === 'pending')).toEqual([]);
      // Each client had at most its last mutation in flight.
      for (let client = 0; client < CLIENTS; client++) {
        const own = stream.tracked.filter((t) => t.client === client).flatMap((t) => t.sent);
        expect(own.slice(0, -1).every((s) => s.outcome === 'acknowledged')).toBe(true);
      }

      const inspector =
        db.config.type === 'sqlite'
          ? await openSqlite(db.config.path)
          : await openPostgres(databaseUrl(db, 'crash-inspector'));
      try {
        await inspector.settle(firstName);

        // A new server on the same database: ready, and answering as before.
        const second = await startServer(databaseUrl(db, `crash-second-${db.schema ?? ''}`));
        const ready = await fetch(`${second.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ status: 'ready' });
        const viewer = await data<{ viewer: { permission: string } }>(
          second,
          secret,
          '{ viewer { permission } }',
        );
        expect(viewer.viewer.permission).toBe('FULL_ACCESS');
        const listed = await data<{
          incidents: { nodes: ApiIncident[]; pageInfo: { hasNextPage: boolean } };
        }>(second, secret, INCIDENTS, { board: boardId });
        expect(listed.incidents.pageInfo.hasNextPage).toBe(false);
        const apiByName = new Map(listed.incidents.nodes.map((i) => [i.name, i]));

        if (db.config.type === 'sqlite') {
          expect(await inspector.rows('PRAGMA integrity_check')).toEqual([
            { integrity_check: 'ok' },
          ]);
          expect(await inspector.rows('PRAGMA foreign_key_check')).toEqual([]);
        }
        const stored = await snapshot(inspector);
        expect(stored.orphans.map((o) => `${o.kind}: ${Number(o.n)}`)).toEqual([
          'update without incident: 0',
          'link without incident: 0',
          'link without monitor: 0',
          'incident event without incident: 0',
          'incident without its creation event: 0',
        ]);
        // Nothing was refused or failed, so the log holds successes only.
        expect(stored.audit.filter((e) => e.outcome !== 'SUCCEEDED')).toEqual([]);

        // Every incident in the database is one a client sent.
        const trackedByName = new Map(stream.tracked.map((t) => [t.name, t]));
        expect(stored.incidents.filter((i) => !trackedByName.has(i.name))).toEqual([]);
        expect([...apiByName.keys()].filter((name) => !trackedByName.has(name))).toEqual([]);

        let committedUnacknowledged = 0;
        let checkedAcknowledged = 0;
        for (const tracked of stream.tracked) {
          const acked = tracked.sent.filter((s) => s.outcome === 'acknowledged');
          const last = tracked.sent.at(-1);
          // The possible outcomes: the acknowledged prefix, or that and the step in flight.
          const prefix = acked.map((s) => s.step);
          const candidates: { steps: Step[] }[] = [{ steps: prefix }];
          if (last !== undefined && last.outcome === 'lost') {
            candidates.push({ steps: [...prefix, last.step] });
          }
          const expected: Outcome[] = candidates.map(({ steps }) => ({
            state: steps.reduce<IncidentState | null>((state, step) => step.apply(state), null),
            actions: steps.map((step) => step.action).sort(),
          }));

          const rows = stored.incidents.filter((i) => i.name === tracked.name);
          expect(rows.length).toBeLessThanOrEqual(1);
          const row = rows[0];
          const updates =
            row === undefined ? [] : stored.updates.filter((u) => u.incident_id === row.id);
          const actual: Outcome = {
            state:
              row === undefined
                ? null
                : {
                    name: row.name,
                    details: row.details,
                    severity: row.severity,
                    phase: row.phase,
                    resolved: row.resolved_at !== null,
                    monitorIds: stored.links
                      .filter((l) => l.incident_id === row.id)
                      .map((l) => l.monitor_id)
                      .sort(),
                    updates: updates.map((u) => `${u.phase}: ${u.message}`),
                  },
            actions:
              row === undefined
                ? []
                : stored.audit
                    .filter((e) => e.target_type === 'Incident' && e.target_id === row.id)
                    .map((e) => e.action)
                    .sort(),
          };
          const match = expected.findIndex((e) => same(e, actual));
          if (match < 0) {
            throw new Error(
              `${tracked.name} is neither as acknowledged nor with its step in flight applied:\n` +
                `stored:   ${JSON.stringify(actual)}\n` +
                `possible: ${JSON.stringify(expected)}\n` +
                `sent:     ${JSON.stringify(tracked.sent.map((s) => [s.step.action, s.outcome]))}`,
            );
          }
          if (match === 1) {
            committedUnacknowledged++;
          }
          if (row !== undefined) {
            expect(row.deleted_at).toBeNull();
            if (tracked.id !== null) {
              expect(row.id).toBe(tracked.id);
            }
            // A change and its update row share one transaction and its time: the update's
            // createdAt is the incident's updatedAt of that change, and resolvedAt too.
            const updatedAt = millis(row.updated_at);
            const times = updates.map((u) => millis(u.created_at));
            expect(times.every((t) => t <= updatedAt)).toBe(true);
            const lastApplied = candidates[match].steps.at(-1)?.action;
            if (lastApplied === 'addIncidentUpdate' || lastApplied === 'resolveIncident') {
              expect(times.at(-1)).toBe(updatedAt);
            }
            if (lastApplied === 'createIncident') {
              expect(millis(row.created_at)).toBe(updatedAt);
            }
            if (row.resolved_at !== null) {
              expect(millis(row.resolved_at)).toBe(times.at(-1));
            }
          }
          checkedAcknowledged += acked.length;

          // The restarted server shows the same incident.
          const viaApi = apiByName.get(tracked.name);
          expect(viaApi === undefined ? null : apiState(viaApi)).toEqual(actual.state);
        }
        expect(checkedAcknowledged).toBe(acknowledged.length);

        // The token's lastWriteAt is written with an audit event, in its transaction.
        const tokenEvents = new Map<string, Set<number>>();
        for (const event of stored.audit) {
          if (event.token_id !== null) {
            const times = tokenEvents.get(event.token_id) ?? new Set<number>();
            times.add(millis(event.at));
            tokenEvents.set(event.token_id, times);
          }
        }
        for (const token of stored.tokens) {
          if (token.last_write_at !== null) {
            expect(tokenEvents.get(token.id)?.has(millis(token.last_write_at))).toBe(true);
          }
        }

        // The restarted server writes as before, and stops cleanly.
        const again = await data<{ createIncident: { id: string } }>(second, secret, CREATE, {
          input: { boardId, name: 'after the crash', severity: 'MINOR', monitorIds },
        });
        expect(
          (
            await data<{ addIncidentUpdate: { phase: string } }>(second, secret, ADD_UPDATE, {
              id: again.createIncident.id,
              input: { phase: 'IDENTIFIED', message: 'still writing' },
            })
          ).addIncidentUpdate.phase,
        ).toBe('IDENTIFIED');
        second.child.process.kill('SIGTERM');
        expect(await second.child.waitForExit()).toEqual({ code: 0, signal: null });
        expect(second.child.stderr).toBe('');
        expect(second.child.logLines().filter((line) => (line.level ?? 0) >= 40)).toEqual([]);

        process.stdout.write(
          `crash safety (${kind}): ${acknowledged.length} acknowledged mutations checked on ` +
            `${stream.tracked.length} incidents; ${lost.length} in flight at the kill, ` +
            `${committedUnacknowledged} of them committed\n`,
        );
      } finally {
        await inspector.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
}
